import EdgeSyncModels
import Foundation
import Hummingbird
import Logging
import MQTT
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization

/// The governance server as a library: open a data directory, start the MQTT listener(s) and the
/// HTTP API as services of one `ServiceGroup`, stop them gracefully.
public final class GovernanceServer: Sendable {
    public let configuration: ServerConfiguration
    public let store: any GovernanceStore
    public let tenancy: Tenancy
    /// The admin token, also in `<data-dir>/admin.token` (0600).
    public let adminToken: String
    /// Signs device certificates; the TLS listener trusts it for client certificates.
    public let deviceAuthority: DeviceAuthority
    public let deviceCACertificatePath: String
    let logger: Logger
    public let metrics = ServerMetrics()
    let ingress: MQTTIngress
    /// Signs upload URLs and keeps uploaded objects (`<data-dir>/uploads`).
    public let uploads: UploadDesk
    private let running = Mutex<Running?>(nil)

    /// Where the server listens once started.
    public struct Endpoints: Sendable, Hashable {
        public var http: String
        public var mqtt: String?
        public var mqtts: String?

        /// The ready lines of `platform-tui serve`, one per listener.
        public var readyLines: [String] {
            ["http: " + http] + [mqtt.map { "mqtt: " + $0 }, mqtts.map { "mqtts: " + $0 }].compactMap { $0 }
        }
    }

    private struct Running: Sendable {
        var group: ServiceGroup
        var task: Task<Void, any Error>
        var endpoints: Endpoints
    }

    private init(
        configuration: ServerConfiguration,
        store: any GovernanceStore,
        tenancy: Tenancy,
        adminToken: String,
        authority: (DeviceAuthority, String),
        uploads: UploadDesk,
        logger: Logger
    ) {
        self.configuration = configuration
        self.store = store
        self.tenancy = tenancy
        self.adminToken = adminToken
        self.deviceAuthority = authority.0
        self.deviceCACertificatePath = authority.1
        self.logger = logger
        self.uploads = uploads
        self.ingress = MQTTIngress(
            store: store,
            metrics: metrics,
            logger: logger,
            replicaID: configuration.replicaID,
            uploads: uploads
        )
    }

    /// Opens the data directory: the store (created and migrated as needed), the default
    /// tenancy, the device CA and the admin token, all created on first start.
    public static func open(
        _ configuration: ServerConfiguration,
        logger: Logger = Logger(label: "edgesync.server")
    ) async throws -> GovernanceServer {
        let problems = configuration.problems
        guard problems.isEmpty else { throw ServerError.invalidConfiguration(problems) }
        if let slice = configuration.schedulerSlice, let error = SchedulerSlice.apply(slice) {
            logger.notice(
                "the scheduler slice was not applied; threads keep the kernel's default",
                metadata: ["error": "\(String(cString: strerror(error)))"]
            )
        }
        let directory = URL(fileURLWithPath: configuration.dataDirectory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try await configuration.storeLocation.open(
            applicationName: "edgesync \(configuration.replicaID)",
            logger: logger
        )
        let tenancy = try await store.bootstrap(now: .now)
        let token = try await AdminToken.ensure(in: directory, store: store)
        let authority: (DeviceAuthority, String)
        if let certificate = configuration.deviceCACertificatePath, let key = configuration.deviceCAKeyPath {
            authority = (try DeviceAuthority(certificatePath: certificate, keyPath: key), certificate)
        } else {
            authority = try await DeviceAuthority.ensure(in: directory, store: store)
        }
        return GovernanceServer(
            configuration: configuration,
            store: store,
            tenancy: tenancy,
            adminToken: token,
            authority: authority,
            uploads: try await UploadDesk.open(
                dataDirectory: directory,
                store: store,
                shared: configuration.storeLocation.isShared,
                limits: configuration.uploadLimits
            ),
            logger: logger
        )
    }

    /// Binds every listener and starts serving; returns their addresses. With
    /// `handleSignals`, SIGTERM/SIGINT shut the server down gracefully.
    @discardableResult
    public func start(handleSignals: Bool = false) async throws -> Endpoints {
        let authenticator = DeviceAuthentication.authenticator(
            store: store,
            tenancy: tenancy,
            ingress: ingress,
            devOpen: configuration.devOpen,
            throttle: AuthenticationThrottle(limits: configuration.authenticationLimits),
            logger: logger
        )
        var services: [any Service] = []
        var endpoints = Endpoints(http: "")
        if let port = configuration.mqttPort {
            let listener = MQTTListener(
                configuration: configuration.mqttListenerConfiguration(port: port),
                authenticator: authenticator,
                acl: DeviceAuthentication.acl,
                delegate: ingress
            )
            let bound = try await Self.listen("mqtt", configuration.mqttHost, port) { try await listener.start() }
            ingress.attach(listener)
            services.append(MQTTListenerService(listener: listener))
            endpoints.mqtt = "mqtt://\(Self.urlHost(configuration.mqttHost)):\(bound)"
        }
        if let port = configuration.mqttsPort, let certificate = configuration.tlsCertificatePath,
            let key = configuration.tlsKeyPath
        {
            var tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            )
            // Certificates are optional (password devices may use TLS too), but one that is
            // presented must chain to the device CA, and its CN must equal the client id.
            tls.certificateVerification = .optionalVerification
            tls.trustRoots = .file(deviceCACertificatePath)
            let tlsAuthenticator = FirstAcceptingAuthenticator([
                DeviceAuthentication.certificateAuthenticator(
                    store: store,
                    tenancy: tenancy,
                    ingress: ingress,
                    logger: logger
                ),
                authenticator,
            ])
            let listener = MQTTListener(
                configuration: configuration.mqttListenerConfiguration(port: port, tls: tls),
                authenticator: tlsAuthenticator,
                acl: DeviceAuthentication.acl,
                delegate: ingress
            )
            let bound = try await Self.listen("mqtts", configuration.mqttHost, port) { try await listener.start() }
            ingress.attach(listener)
            services.append(MQTTListenerService(listener: listener))
            endpoints.mqtts = "mqtts://\(Self.urlHost(configuration.mqttHost)):\(bound)"
        }
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let application = Application(
            router: APIRouter.build(
                store: store,
                tenancy: tenancy,
                authority: deviceAuthority,
                metrics: metrics,
                courier: ingress,
                connections: ingress,
                uploads: uploads
            ),
            server: .http1(configuration: .init(idleTimeout: TimeAmount(configuration.httpIdleTimeout))),
            configuration: .init(
                address: .hostname(configuration.httpHost, port: configuration.httpPort),
                serverName: "edgesync",
                availableConnectionsDelegate: .maximum(configuration.maximumHTTPConnections, logger: logger)
            ),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger
        )
        services.insert(application, at: 0)
        services.insert(StoreService(store: store), at: 0)
        let coordination = configuration.storeLocation.coordination(
            applicationName: "edgesync \(configuration.replicaID)",
            logger: logger
        )
        services += [
            ReplayWorker(store: store, courier: ingress, logger: logger),
            ReplicaService(store: store, ingress: ingress, coordination: coordination, logger: logger),
            SweepService(
                store: store,
                courier: ingress,
                coordination: coordination,
                logger: logger,
                interval: configuration.maintenanceInterval,
                resendAfter: configuration.controlResendInterval,
                uploads: uploads
            ),
        ]
        var groupConfiguration = ServiceGroupConfiguration(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [],
            logger: logger
        )
        groupConfiguration.maximumGracefulShutdownDuration = configuration.shutdownGracePeriod
        let group = ServiceGroup(configuration: groupConfiguration)
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            _ = try await Self.listen("http", configuration.httpHost, configuration.httpPort) { try await task.value }
            throw ServerError.httpDidNotStart
        }
        endpoints.http = "http://\(Self.urlHost(configuration.httpHost)):\(port)"
        uploads.setBaseURL(configuration.publicHTTPURL ?? endpoints.http)
        running.withLock { $0 = Running(group: group, task: task, endpoints: endpoints) }
        // (ext) Where the CLI mode finds this server when given only the data directory.
        try? Data((endpoints.http + "\n").utf8).write(to: urlFile)
        return endpoints
    }

    /// Waits until the services end (a signal, or `stop()`).
    public func waitUntilStopped() async throws {
        guard let task = running.withLock({ $0?.task }) else { return }
        defer { try? FileManager.default.removeItem(at: urlFile) }
        try await task.value
    }

    /// Graceful shutdown: stop accepting, finish in-flight work, close connections.
    public func stop() async {
        if let current = running.withLock({ state -> Running? in
            defer { state = nil }
            return state
        }) {
            await current.group.triggerGracefulShutdown()
            _ = try? await current.task.value
            try? FileManager.default.removeItem(at: urlFile)
        }
        // A server opened and never started still holds its store's connections.
        await store.close()
    }

    /// `<data-dir>/http.url`: the running server's HTTP URL, removed when it stops.
    public static let urlFileName = "http.url"

    var urlFile: URL {
        URL(fileURLWithPath: configuration.dataDirectory).appendingPathComponent(Self.urlFileName)
    }

    /// Runs a listener's start; a failure (the port is taken, the address is not local) names
    /// the listener, the address and the flag that changes it.
    static func listen<T>(_ name: String, _ host: String, _ port: Int, _ start: () async throws -> T) async throws -> T
    {
        do {
            return try await start()
        } catch {
            throw ServerError.cannotListen(listener: name, address: "\(urlHost(host)):\(port)", reason: "\(error)")
        }
    }

    static func urlHost(_ host: String) -> String {
        host.contains(":") ? "[\(host)]" : host
    }
}

/// The store as a service: first in the group, so that it stops last, after every service that
/// uses it has finished; its connections close then.
struct StoreService: Service {
    let store: any GovernanceStore

    func run() async throws {
        try? await gracefulShutdown()
        await store.close()
    }
}

/// The MQTT listener as a service: already bound by `start()`, shut down on graceful shutdown.
struct MQTTListenerService: Service {
    let listener: MQTTListener

    func run() async throws {
        try? await gracefulShutdown()
        await listener.shutdown()
    }
}

public enum ServerError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidConfiguration([String])
    case httpDidNotStart
    case cannotListen(listener: String, address: String, reason: String)

    public var code: String {
        switch self {
        case .invalidConfiguration: "invalid_configuration"
        case .httpDidNotStart: "http_did_not_start"
        case .cannotListen: "cannot_listen"
        }
    }

    public var description: String {
        switch self {
        case .invalidConfiguration(let problems): "\(code): " + problems.joined(separator: "; ")
        case .httpDidNotStart: "\(code): the HTTP listener did not start"
        case .cannotListen(let listener, let address, let reason):
            "\(code): the \(listener) listener cannot use \(address) (\(reason)); is another server or broker on it? "
                + "--\(listener)-port picks another port (0: any free one)"
        }
    }
}

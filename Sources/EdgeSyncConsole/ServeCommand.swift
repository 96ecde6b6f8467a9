import ArgumentParser
import Foundation
import Server

/// `platform-tui serve`: the governance server alone, headless (the production entry point).
/// Prints one ready line per listener (`http: http://HOST:PORT`, `mqtt: …`, `mqtts: …`) once
/// they accept connections; SIGTERM/SIGINT shut it down gracefully.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the governance server without the console."
    )

    @Option(help: "Data directory (store, device CA, admin.token).")
    var dataDir = "./.edgesync"
    @Option(
        help: """
            The store: sqlite:PATH, or postgres://USER[:PASS]@HOST[:PORT]/DB shared by several replicas \
            (also EDGESYNC_STORE). Default: sqlite:<data-dir>/edgesync.sqlite.
            """
    )
    var store: String?
    @Option(help: "This server among the replicas of one store. Default: host name and process id.")
    var replicaId: String?
    @Option(help: "HTTP API address.")
    var httpHost = "127.0.0.1"
    @Option(help: "HTTP API port; 0 picks a free one.")
    var httpPort = 0
    @Option(help: "MQTT listener address.")
    var mqttHost = "127.0.0.1"
    @Option(help: "Plain MQTT port.")
    var mqttPort = 1883
    @Option(help: "MQTT over TLS port (needs --tls-cert and --tls-key).")
    var mqttsPort: Int?
    @Option(help: "Server certificate (PEM) for the TLS listener.")
    var tlsCert: String?
    @Option(help: "Server private key (PEM) for the TLS listener.")
    var tlsKey: String?
    @Option(help: "CA certificate that signs device certificates (mTLS).")
    var deviceCaCert: String?
    @Option(help: "Key of that CA.")
    var deviceCaKey: String?
    @Flag(help: "Accept any device id and register it on first connect (loopback listeners only).")
    var devOpen = false

    /// The limits' defaults are the configuration's own, so that they cannot drift apart.
    private static let defaults = ServerConfiguration()

    @Option(help: "Seconds an HTTP connection may send nothing (stalled headers or body, idle keep-alive).")
    var httpIdleTimeout = Self.defaults.httpIdleTimeout.components.seconds

    @Option(help: "HTTP connections served at once; more wait to be accepted.")
    var maxHttpConnections = Self.defaults.maximumHTTPConnections

    @Option(help: "Seconds an MQTT connection without keep-alive may stay silent.")
    var mqttMaxIdle = Self.defaults.mqttMaximumIdle.components.seconds

    @Option(help: "Seconds a new MQTT connection has to send CONNECT.")
    var mqttConnectTimeout = Self.defaults.mqttConnectTimeout.components.seconds

    @Option(help: "Controls queued for an offline device; past it the oldest waits for the next resend.")
    var maxQueuedControls = Self.defaults.maximumQueuedControlsPerDevice

    @Option(help: "Seconds a stopping server waits for in-flight requests and connections.")
    var shutdownGracePeriod = Self.defaults.shutdownGracePeriod.components.seconds

    @Option(help: "Seconds an upload grant's URL is good.")
    var uploadGrantLifetime = Self.defaults.uploadLimits.grantLifetime.components.seconds

    @Option(help: "Bytes an upload object may hold, as sent and decompressed alike.")
    var uploadMaxBytes = Self.defaults.uploadLimits.maximumObjectBytes

    @Option(help: "Upload grants a device may hold that are neither finalized nor expired.")
    var uploadGrantsPerDevice = Self.defaults.uploadLimits.maximumOpenGrantsPerDevice

    @Option(help: "Bytes of a device's upload objects received and not yet finalized.")
    var uploadPendingBytesPerDevice = Self.defaults.uploadLimits.maximumOpenBytesPerDevice

    @Option(help: "Seconds an upload object not finalized is kept once its grant expired.")
    var uploadKeepUnfinalized = Self.defaults.uploadLimits.keepReceivedFor.components.seconds

    @Option(help: "Failed MQTT passwords from one address (in 5 minutes) before it is locked out.")
    var authFailuresPerAddress = Self.defaults.authenticationLimits.failuresPerAddress

    @Option(help: "Failed MQTT passwords for one device from one address (in 5 minutes) before a lockout.")
    var authFailuresPerDevice = Self.defaults.authenticationLimits.failuresPerDevice

    @Option(help: "Microseconds of scheduler slice the server's threads ask for (Linux 6.12+); 0: the kernel's.")
    var schedulerSliceUs = Self.defaults.schedulerSlice.map { Int($0 / .microseconds(1)) } ?? 0

    func run() async throws {
        let location: StoreLocation?
        do throws(StoreError) {
            location = try (store ?? ProcessInfo.processInfo.environment["EDGESYNC_STORE"]).map {
                (url: String) throws(StoreError) in try StoreLocation(parsing: url)
            }
        } catch {
            throw ValidationError(error.message)
        }
        var configuration = ServerConfiguration(
            dataDirectory: dataDir,
            httpHost: httpHost,
            httpPort: httpPort,
            mqttHost: mqttHost,
            mqttPort: mqttPort,
            mqttsPort: mqttsPort,
            tlsCertificatePath: tlsCert,
            tlsKeyPath: tlsKey,
            deviceCACertificatePath: deviceCaCert,
            deviceCAKeyPath: deviceCaKey,
            devOpen: devOpen,
            store: location
        )
        if let replicaId { configuration.replicaID = replicaId }
        configuration.httpIdleTimeout = .seconds(httpIdleTimeout)
        configuration.maximumHTTPConnections = maxHttpConnections
        configuration.mqttMaximumIdle = .seconds(mqttMaxIdle)
        configuration.mqttConnectTimeout = .seconds(mqttConnectTimeout)
        configuration.maximumQueuedControlsPerDevice = maxQueuedControls
        configuration.shutdownGracePeriod = .seconds(shutdownGracePeriod)
        configuration.uploadLimits.grantLifetime = .seconds(uploadGrantLifetime)
        configuration.uploadLimits.maximumObjectBytes = uploadMaxBytes
        configuration.uploadLimits.maximumOpenGrantsPerDevice = uploadGrantsPerDevice
        configuration.uploadLimits.maximumOpenBytesPerDevice = uploadPendingBytesPerDevice
        configuration.uploadLimits.keepReceivedFor = .seconds(uploadKeepUnfinalized)
        configuration.authenticationLimits.failuresPerAddress = authFailuresPerAddress
        configuration.authenticationLimits.failuresPerDevice = authFailuresPerDevice
        configuration.schedulerSlice = schedulerSliceUs == 0 ? nil : .microseconds(schedulerSliceUs)
        let server: GovernanceServer
        do {
            server = try await GovernanceServer.open(configuration)
        } catch let error as ServerError {
            throw ValidationError(error.description)
        }
        let endpoints = try await server.start(handleSignals: true)
        // Written unbuffered in one go: scripts wait for these lines.
        FileHandle.standardOutput.write(Data(endpoints.readyLines.map { $0 + "\n" }.joined().utf8))
        FileHandle.standardError.write(Data("admin token: \(dataDir)/admin.token\n".utf8))
        try await server.waitUntilStopped()
    }
}

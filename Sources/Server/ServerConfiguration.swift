import Foundation
import MQTT
import NIOCore
import NIOSSL

/// How a governance server is started. Every field has a documented default that matches
/// `platform-tui serve` with no flags.
public struct ServerConfiguration: Sendable, Hashable {
    /// Where the store, the device CA and `admin.token` live. Default `./.edgesync`.
    public var dataDirectory: String
    /// The store (`--store`); nil: `sqlite:<data-dir>/edgesync.sqlite`.
    public var store: StoreLocation?
    /// This server among the replicas sharing a store (`--replica-id`). Default: the host name
    /// and the process id.
    public var replicaID: String = ServerConfiguration.defaultReplicaID
    /// HTTP API address. Default `127.0.0.1`, port 0 (an ephemeral port, printed when ready).
    public var httpHost: String
    public var httpPort: Int
    /// Plain MQTT listener. Default `127.0.0.1:1883`; nil disables it.
    public var mqttHost: String
    public var mqttPort: Int?
    /// MQTT over TLS (mTLS when device certificates are used). Default off.
    public var mqttsPort: Int?
    /// Server certificate and key (PEM) for the TLS listener.
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    /// The CA that signs device certificates; default: the CA created in the data directory.
    public var deviceCACertificatePath: String?
    public var deviceCAKeyPath: String?
    /// Accept any client id and register it on first connect. Only on loopback listeners.
    public var devOpen: Bool
    /// The HTTP API's address as devices reach it, for upload URLs. Default: the address it listens on.
    public var publicHTTPURL: String?
    /// How long an unacknowledged control waits before it is sent again. Default 30 s.
    public var controlResendInterval: Duration = .seconds(30)
    /// How often the backpressure sweep and the resend pass run. Default 2 s.
    public var maintenanceInterval: Duration = .seconds(2)
    /// How long a graceful stop may wait for in-flight requests and connections before the rest
    /// is cancelled (a peer that never ends its request cannot hold a stopping server). Default 30 s.
    public var shutdownGracePeriod: Duration = .seconds(30)
    /// An HTTP connection that sends nothing for this long is closed: a request whose headers or
    /// body stall, or an idle keep-alive connection (a response being written, such as the event
    /// stream, does not count as idle). Default 30 s.
    public var httpIdleTimeout: Duration = .seconds(30)
    /// HTTP connections served at once; past it new ones wait in the accept queue, so a flood
    /// cannot take the descriptors the MQTT listener needs. Default 1,000.
    public var maximumHTTPConnections = 1_000
    /// Failed MQTT passwords tolerated per address and per device before a lockout (see
    /// `AuthenticationThrottle.Limits` for the defaults).
    public var authenticationLimits = AuthenticationThrottle.Limits()
    /// How long an MQTT connection that asked for no keep-alive may stay silent. Default 15 minutes.
    public var mqttMaximumIdle: Duration = .seconds(900)
    /// How long a new MQTT connection has to send CONNECT before it is closed. Default 10 s.
    public var mqttConnectTimeout: Duration = .seconds(10)
    /// Controls queued for a device while it is offline (its persistent MQTT session); past it the
    /// oldest leaves the queue, and stays unacknowledged in the store, which sends it again after
    /// `controlResendInterval`. Default 10,000.
    public var maximumQueuedControlsPerDevice = 10_000
    /// What the upload flow allows a device (see `UploadLimits` for the defaults).
    public var uploadLimits = UploadLimits()
    /// The scheduler slice the server's threads ask for, so that a thread woken by a device's
    /// packet or a finished commit runs sooner on a busy machine (`SchedulerSlice`, which says what
    /// it costs); nil keeps the kernel's. Default nil.
    public var schedulerSlice: Duration?

    public init(
        dataDirectory: String = "./.edgesync",
        httpHost: String = "127.0.0.1",
        httpPort: Int = 0,
        mqttHost: String = "127.0.0.1",
        mqttPort: Int? = 1883,
        mqttsPort: Int? = nil,
        tlsCertificatePath: String? = nil,
        tlsKeyPath: String? = nil,
        deviceCACertificatePath: String? = nil,
        deviceCAKeyPath: String? = nil,
        devOpen: Bool = false,
        store: StoreLocation? = nil
    ) {
        self.dataDirectory = dataDirectory
        self.store = store
        self.httpHost = httpHost
        self.httpPort = httpPort
        self.mqttHost = mqttHost
        self.mqttPort = mqttPort
        self.mqttsPort = mqttsPort
        self.tlsCertificatePath = tlsCertificatePath
        self.tlsKeyPath = tlsKeyPath
        self.deviceCACertificatePath = deviceCACertificatePath
        self.deviceCAKeyPath = deviceCAKeyPath
        self.devOpen = devOpen
    }

    public static var defaultReplicaID: String {
        "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
    }

    /// An MQTT listener of this server on `port`, plain or with `tls`.
    public func mqttListenerConfiguration(port: Int, tls: TLSConfiguration? = nil) -> MQTTListenerConfiguration {
        MQTTListenerConfiguration(
            host: mqttHost,
            port: port,
            tls: tls,
            connectTimeout: TimeAmount(mqttConnectTimeout),
            maximumQueuedDownlinksPerSession: maximumQueuedControlsPerDevice,
            maximumIdle: TimeAmount(mqttMaximumIdle)
        )
    }

    /// The store the server opens.
    public var storeLocation: StoreLocation { store ?? .default(dataDirectory: dataDirectory) }

    /// Configuration mistakes, each naming its flag; empty when the server may start.
    public var problems: [String] {
        var problems: [String] = []
        for (flag, value) in [
            ("--http-idle-timeout", httpIdleTimeout.components.seconds),
            ("--mqtt-max-idle", mqttMaximumIdle.components.seconds),
            ("--mqtt-connect-timeout", mqttConnectTimeout.components.seconds),
            ("--max-queued-controls", Int64(maximumQueuedControlsPerDevice)),
            ("--shutdown-grace-period", shutdownGracePeriod.components.seconds),
            ("--max-http-connections", Int64(maximumHTTPConnections)),
            ("--auth-failures-per-address", Int64(authenticationLimits.failuresPerAddress)),
            ("--auth-failures-per-device", Int64(authenticationLimits.failuresPerDevice)),
        ] + uploadLimits.flags where value < 1 {
            problems.append("\(flag) must be at least 1, not \(value)")
        }
        for (flag, port) in [
            ("--http-port", Optional(httpPort)), ("--mqtt-port", mqttPort), ("--mqtts-port", mqttsPort),
        ] {
            if let port, !(0...65_535).contains(port) { problems.append("\(flag) must be 0–65535, not \(port)") }
        }
        if devOpen, !MQTTListener.isLoopback(mqttHost) {
            problems.append(
                "--dev-open accepts any device, so it is only allowed on a loopback --mqtt-host, not \(mqttHost)"
            )
        }
        if let schedulerSlice, !SchedulerSlice.range.contains(schedulerSlice) {
            problems.append("--scheduler-slice-us must be 0 (the kernel's default) or 100–100000")
        }
        if mqttsPort != nil, tlsCertificatePath == nil || tlsKeyPath == nil {
            problems.append("--mqtts-port needs --tls-cert and --tls-key")
        }
        if (deviceCACertificatePath == nil) != (deviceCAKeyPath == nil) {
            problems.append("--device-ca-cert and --device-ca-key go together")
        }
        if mqttPort == nil, mqttsPort == nil { problems.append("no MQTT listener: set --mqtt-port or --mqtts-port") }
        return problems
    }
}

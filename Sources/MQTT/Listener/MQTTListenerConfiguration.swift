import NIOCore
import NIOSSL

/// How an MQTT listener binds and behaves. Defaults match the wire protocol.
public struct MQTTListenerConfiguration: Sendable {
    /// Address to bind. Default `127.0.0.1`.
    public var host: String
    /// Port to bind; 0 picks a free port (see `MQTTListener.port`). Default 1883.
    public var port: Int
    /// TLS settings; nil for plain TCP. For mTLS, set `certificateVerification` to
    /// `.noHostnameVerification` and `trustRoots` to the device CA: clients without a
    /// certificate signed by it fail the handshake.
    public var tls: TLSConfiguration?
    /// Largest packet accepted; larger ones close the connection. Default 1 MiB (see
    /// `MQTTPacketDecoder.defaultMaximumPacketSize`).
    public var maximumPacketSize: Int
    /// Time a new connection has to send CONNECT. Default 10 s.
    public var connectTimeout: TimeAmount
    /// Queued downlinks kept per offline persistent session. Default 10,000.
    public var maximumQueuedDownlinksPerSession: Int
    /// How long a connection that asked for no keep-alive (0) may stay silent before it is
    /// closed, so that it cannot hold a descriptor forever. Default 15 minutes.
    public var maximumIdle: TimeAmount
    /// PUBLISHes of one connection in hand at once (read and not yet acknowledged): the first
    /// phases of later messages run while an earlier one commits (see `MQTTListenerDelegate`), and
    /// beyond it the connection is not read, so a client that floods is held back by TCP.
    /// Default 8.
    public var publishPipelineDepth: Int

    public init(
        host: String = "127.0.0.1",
        port: Int = 1883,
        tls: TLSConfiguration? = nil,
        maximumPacketSize: Int = MQTTPacketDecoder.defaultMaximumPacketSize,
        connectTimeout: TimeAmount = .seconds(10),
        maximumQueuedDownlinksPerSession: Int = 10_000,
        maximumIdle: TimeAmount = .minutes(15),
        publishPipelineDepth: Int = 8
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.maximumPacketSize = maximumPacketSize
        self.connectTimeout = connectTimeout
        self.maximumQueuedDownlinksPerSession = maximumQueuedDownlinksPerSession
        self.maximumIdle = maximumIdle
        self.publishPipelineDepth = publishPipelineDepth
    }

    /// A TLS configuration for a listener that requires client certificates signed by `clientCA`
    /// (mTLS), from PEM files.
    public static func mutualTLS(
        certificatePath: String,
        keyPath: String,
        clientCAPath: String
    ) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificatePath).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem))
        )
        tls.certificateVerification = .noHostnameVerification
        tls.trustRoots = .file(clientCAPath)
        return tls
    }
}

/// Why a listener could not start.
public enum MQTTListenerError: Error, Sendable, Hashable, CustomStringConvertible {
    case openListenerOnNonLoopbackAddress(String)
    case alreadyStarted

    public var code: String {
        switch self {
        case .openListenerOnNonLoopbackAddress: "dev_open_requires_loopback"
        case .alreadyStarted: "already_started"
        }
    }

    public var description: String {
        switch self {
        case .openListenerOnNonLoopbackAddress(let host):
            "\(code): an authenticator that accepts anyone may only listen on loopback, not \(host)"
        case .alreadyStarted: "\(code): the listener is already running"
        }
    }
}

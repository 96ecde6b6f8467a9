import NIOCore
import NIOSSL

/// How an `MQTTClient` connects. Defaults follow the wire protocol: persistent session
/// (`clean_session = false`), 30 s keep-alive, backoff 0.5 s doubling to 60 s with jitter.
public struct MQTTClientConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// TLS (server verification against `trustRoots`, optional client certificate); nil for TCP.
    public var tls: TLSConfiguration?
    /// Name for SNI and hostname verification; defaults to `host`.
    public var tlsServerName: String?
    public var clientID: String
    public var username: String?
    public var password: [UInt8]?
    public var cleanSession: Bool
    /// Seconds between control packets; the client pings when idle. 0 disables it.
    public var keepAlive: UInt16
    public var connectTimeout: TimeAmount
    public var maximumPacketSize: Int
    public var reconnect: MQTTReconnectPolicy

    public init(
        host: String,
        port: Int = 1883,
        tls: TLSConfiguration? = nil,
        tlsServerName: String? = nil,
        clientID: String,
        username: String? = nil,
        password: [UInt8]? = nil,
        cleanSession: Bool = false,
        keepAlive: UInt16 = 30,
        connectTimeout: TimeAmount = .seconds(10),
        maximumPacketSize: Int = MQTTPacketDecoder.defaultMaximumPacketSize,
        reconnect: MQTTReconnectPolicy = MQTTReconnectPolicy()
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.tlsServerName = tlsServerName
        self.clientID = clientID
        self.username = username
        self.password = password
        self.cleanSession = cleanSession
        self.keepAlive = keepAlive
        self.connectTimeout = connectTimeout
        self.maximumPacketSize = maximumPacketSize
        self.reconnect = reconnect
    }

    /// Host, port and whether TLS is wanted from `mqtt://host:port`, `mqtts://…` or `ssl://…`
    /// (default ports 1883 and 8883); nil for anything else.
    public static func parseServerURL(_ url: String) -> (host: String, port: Int, tls: Bool)? {
        let schemes: [(String, Bool, Int)] = [
            ("mqtt://", false, 1883), ("tcp://", false, 1883), ("mqtts://", true, 8883), ("ssl://", true, 8883),
        ]
        guard let (scheme, tls, defaultPort) = schemes.first(where: { url.lowercased().hasPrefix($0.0) }) else {
            return nil
        }
        var rest = Substring(url.dropFirst(scheme.count))
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        var host = String(rest)
        var port = defaultPort
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") {
                guard let parsed = Int(after.dropFirst()) else { return nil }
                port = parsed
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            guard let parsed = Int(rest[rest.index(after: colon)...]) else { return nil }
            port = parsed
        }
        guard !host.isEmpty, (1...65_535).contains(port) else { return nil }
        return (host, port, tls)
    }
}

/// Delays between reconnect attempts: `initialDelay` doubling (× `multiplier`) up to
/// `maximumDelay`, each spread by ±`jitter` so a fleet that lost the server does not return in
/// lockstep.
public struct MQTTReconnectPolicy: Sendable, Hashable {
    public var initialDelay: Duration
    public var maximumDelay: Duration
    public var multiplier: Double
    /// Fraction of the delay added or removed at random, 0…1.
    public var jitter: Double

    public init(
        initialDelay: Duration = .milliseconds(500),
        maximumDelay: Duration = .seconds(60),
        multiplier: Double = 2,
        jitter: Double = 0.2
    ) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.multiplier = multiplier
        self.jitter = jitter
    }

    /// The delay before attempt `attempt` (1 = the first retry).
    public func delay(attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let base = seconds(initialDelay) * pow(multiplier, Double(max(0, attempt - 1)))
        let capped = min(base, seconds(maximumDelay))
        let spread = jitter > 0 ? Double.random(in: -jitter...jitter, using: &generator) : 0
        return .milliseconds(Int64((capped * (1 + spread) * 1000).rounded()))
    }

    public func delay(attempt: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(attempt: attempt, using: &generator)
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private func pow(_ base: Double, _ exponent: Double) -> Double {
        var result = 1.0
        for _ in 0..<Int(min(exponent, 64)) { result *= base }
        return result
    }
}

import MQTT

/// The agent's log lines for its MQTT connection: every connect, refusal and loss. A failure or
/// refusal repeated while the client keeps retrying (a server that is away, a revoked
/// credential) is logged once, and how many times it repeated is said when something else happens.
struct ConnectionLog {
    let server: String
    private var lastProblem: String?
    private var repeats = 0

    init(server: String) {
        self.server = server
    }

    mutating func lines(for event: MQTTConnectionEvent) -> [String] {
        switch event {
        case .connected(let sessionPresent):
            return flush() + ["connected to \(server) (\(sessionPresent ? "session resumed" : "new session"))"]
        case .refused(let code):
            return problem("\(server) refused the connection: CONNACK \(code.rawValue), \(Self.reason(code))")
        case .failed(let message):
            return problem("cannot connect to \(server): \(message)")
        case .lost:
            return flush() + ["connection to \(server) lost; reconnecting"]
        }
    }

    private mutating func problem(_ line: String) -> [String] {
        if line == lastProblem {
            repeats += 1
            return []
        }
        let earlier = flush()
        lastProblem = line
        return earlier + [line]
    }

    /// Says how often the last problem repeated, and forgets it.
    private mutating func flush() -> [String] {
        defer { (lastProblem, repeats) = (nil, 0) }
        guard repeats > 0, let lastProblem else { return [] }
        return ["(\(lastProblem)) repeated \(repeats) more times"]
    }

    static func reason(_ code: MQTTPacket.ConnectReturnCode) -> String {
        switch code {
        case .accepted: "accepted"
        case .unacceptableProtocolVersion: "unacceptable protocol version"
        case .identifierRejected: "client id rejected (check device_id)"
        case .serverUnavailable: "server unavailable"
        case .badUsernameOrPassword: "bad username or password (check the credentials, or wait for a lockout to end)"
        case .notAuthorized: "not authorized (check the device's certificate: it may be superseded or revoked)"
        }
    }
}

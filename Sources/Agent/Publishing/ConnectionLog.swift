import Logging
import MQTT

/// The agent's log lines for its MQTT connection: every connect, refusal and loss. A failure or
/// refusal repeated while the client keeps retrying (a server that is away, a revoked
/// credential) is logged once, and how many times it repeated is said when something else happens.
struct ConnectionLog {
    /// One log line: its level, the event's name and the message.
    struct Line: Equatable {
        var level: Logger.Level
        var event: String
        var message: String
    }

    let server: String
    private var lastProblem: Line?
    private var repeats = 0

    init(server: String) {
        self.server = server
    }

    mutating func lines(for event: MQTTConnectionEvent) -> [Line] {
        switch event {
        case .connected(let sessionPresent):
            return flush() + [
                Line(
                    level: .notice,
                    event: "connected",
                    message: "connected to \(server) (\(sessionPresent ? "session resumed" : "new session"))"
                )
            ]
        case .refused(let code):
            return problem(
                Line(
                    level: .error,
                    event: "connect_refused",
                    message: "\(server) refused the connection: CONNACK \(code.rawValue), \(Self.reason(code))"
                )
            )
        case .failed(let message):
            return problem(
                Line(level: .warning, event: "connect_failed", message: "cannot connect to \(server): \(message)")
            )
        case .lost:
            return flush() + [
                Line(level: .warning, event: "disconnected", message: "connection to \(server) lost; reconnecting")
            ]
        }
    }

    private mutating func problem(_ line: Line) -> [Line] {
        if line == lastProblem {
            repeats += 1
            return []
        }
        let earlier = flush()
        lastProblem = line
        return earlier + [line]
    }

    /// Says how often the last problem repeated, and forgets it.
    private mutating func flush() -> [Line] {
        defer { (lastProblem, repeats) = (nil, 0) }
        guard repeats > 0, var line = lastProblem else { return [] }
        line.message = "(\(line.message)) repeated \(repeats) more times"
        return [line]
    }

    /// The connection after `event`, as `status` shows it.
    static func state(after event: MQTTConnectionEvent) -> String {
        switch event {
        case .connected: "connected"
        case .refused(let code): "refused (CONNACK \(code.rawValue))"
        case .failed: "unreachable"
        case .lost: "disconnected"
        }
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

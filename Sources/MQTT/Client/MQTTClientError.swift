/// Why a client operation failed. `code` is a stable string for logs and status output.
public enum MQTTClientError: Error, Sendable, Hashable, CustomStringConvertible {
    case notConnected
    case connectionRefused(MQTTPacket.ConnectReturnCode)
    case connectTimeout
    case connectionClosed
    case unexpectedPacket(String)
    case shutdown
    case packetIDsExhausted

    public var code: String {
        switch self {
        case .notConnected: "not_connected"
        case .connectionRefused: "connection_refused"
        case .connectTimeout: "connect_timeout"
        case .connectionClosed: "connection_closed"
        case .unexpectedPacket: "unexpected_packet"
        case .shutdown: "shutdown"
        case .packetIDsExhausted: "packet_ids_exhausted"
        }
    }

    public var description: String {
        switch self {
        case .notConnected: "\(code): no connection to the broker"
        case .connectionRefused(let returnCode): "\(code): CONNACK \(returnCode.rawValue) (\(returnCode))"
        case .connectTimeout: "\(code): no CONNACK in time"
        case .connectionClosed: "\(code): the connection closed"
        case .unexpectedPacket(let what): "\(code): \(what)"
        case .shutdown: "\(code): the client was shut down"
        case .packetIDsExhausted: "\(code): 65,535 packets in flight"
        }
    }
}

/// What happened to a client's connection, for its owner's log: each attempt's outcome and each
/// loss, in order.
public enum MQTTConnectionEvent: Sendable, Hashable {
    case connected(sessionPresent: Bool)
    /// The broker answered CONNACK with this refusal.
    case refused(MQTTPacket.ConnectReturnCode)
    /// The attempt failed before a CONNACK (unreachable, TLS, timeout).
    case failed(String)
    /// An established connection ended (not by `shutdown()`).
    case lost
}

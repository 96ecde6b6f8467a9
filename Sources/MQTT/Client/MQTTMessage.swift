import NIOCore

/// A message the broker delivered. For QoS 1 the broker keeps it (and redelivers it after a
/// reconnect) until `acknowledge()` is called, so acknowledge only once it is handled.
public struct MQTTMessage: Sendable {
    public var topic: String
    public var payload: ByteBuffer
    public var qos: QoS
    public var retain: Bool
    /// The broker is redelivering it (it may have been seen before).
    public var dup: Bool
    let packetID: UInt16?
    let client: MQTTClient

    /// Sends PUBACK (QoS 1). A no-op for QoS 0, or when the connection is gone: the broker will
    /// then redeliver the message, which is what at-least-once means.
    public func acknowledge() async {
        guard let packetID, qos == .atLeastOnce else { return }
        await client.acknowledge(packetID: packetID)
    }
}

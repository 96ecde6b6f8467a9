import NIOCore

/// One connected client as the application sees it.
public struct MQTTSessionInfo: Sendable, Hashable {
    public var principal: MQTTPrincipal
    public var connectionID: UInt64
    public var cleanSession: Bool
    public var remoteAddress: String?
    public var usesTLS: Bool

    public var clientID: String { principal.clientID }
}

/// A PUBLISH received from a client.
public struct MQTTInboundPublish: Sendable, Hashable {
    public var topic: String
    public var payload: ByteBuffer
    public var qos: QoS
    public var retain: Bool
    public var dup: Bool
}

/// An action the ACL refused, for the audit log.
public struct MQTTACLDenial: Sendable, Hashable {
    public enum Action: String, Sendable, Hashable {
        case publish
        case subscribe
    }

    public var action: Action
    public var topic: String

    public init(action: Action, topic: String) {
        self.action = action
        self.topic = topic
    }
}

/// The application side of the listener.
///
/// **PUBACK after commit.** `didReceive` is awaited before the listener answers a QoS 1
/// PUBLISH: PUBACK goes out only after it returns, so a PUBACK promises the message is durably
/// handled (for the governance server: the ingest transaction committed). If it throws, no
/// PUBACK is sent and the connection is closed, so the device reconnects and resends the same
/// bytes (MQTT 3.1.1 clients resend unacknowledged publishes on reconnect). Messages of one
/// connection are handed over one at a time, in order; different connections run concurrently.
public protocol MQTTListenerDelegate: Sendable {
    func mqttListener(didConnect session: MQTTSessionInfo) async
    func mqttListener(didDisconnect session: MQTTSessionInfo) async
    func mqttListener(didReceive message: MQTTInboundPublish, from session: MQTTSessionInfo) async throws
    /// A forbidden PUBLISH (the connection is then closed) or SUBSCRIBE (answered `0x80`).
    func mqttListener(didDeny denial: MQTTACLDenial, session: MQTTSessionInfo) async
}

extension MQTTListenerDelegate {
    public func mqttListener(didConnect session: MQTTSessionInfo) async {}
    public func mqttListener(didDisconnect session: MQTTSessionInfo) async {}
    public func mqttListener(didDeny denial: MQTTACLDenial, session: MQTTSessionInfo) async {}
}

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
/// **PUBACK after commit.** Messages of one connection are handled one at a time in arrival
/// order (`didReceive`), and a QoS 1 PUBACK goes out only after the message's handling returned,
/// so a PUBACK promises the message is durably handled (for the governance server: the ingest
/// transaction committed). If it throws, no PUBACK is sent and the connection is closed, so the
/// device reconnects and resends the same bytes (MQTT 3.1.1 clients resend unacknowledged
/// publishes on reconnect). Different connections run concurrently.
///
/// `didReceive` starts on the event loop that read the message (`Task.immediate`) and runs there
/// until it first suspends: a handler that does not suspend answers within the loop's turn, with
/// no thread handoff. Work that takes long without suspending belongs in a first phase.
///
/// A delegate can split a message's handling in two phases (`preparesAhead`): the first,
/// `mqttListener(prepare:from:)`, does what depends on the message alone (decoding, validation)
/// and runs as soon as the message arrives, on the global executor, beside earlier messages still
/// in hand; the second, the closure it returns, runs in arrival order and stands for `didReceive`
/// above.
public protocol MQTTListenerDelegate: Sendable {
    func mqttListener(didConnect session: MQTTSessionInfo) async
    func mqttListener(didDisconnect session: MQTTSessionInfo) async
    /// The whole of a message's handling.
    func mqttListener(didReceive message: MQTTInboundPublish, from session: MQTTSessionInfo) async throws
    /// Whether `message` goes through `prepare` ahead of its turn. Default false: handing a
    /// message to another task costs more than a delegate without a first phase would gain, and
    /// so does a small message's first phase (a few microseconds against the handoff's tens).
    func preparesAhead(_ message: MQTTInboundPublish) -> Bool
    /// A message's first phase; returns its second. By default the second phase is `didReceive`.
    func mqttListener(prepare message: MQTTInboundPublish, from session: MQTTSessionInfo) async -> MQTTPublishCommit
    /// A forbidden PUBLISH (the connection is then closed) or SUBSCRIBE (answered `0x80`).
    func mqttListener(didDeny denial: MQTTACLDenial, session: MQTTSessionInfo) async
}

extension MQTTListenerDelegate {
    public func mqttListener(didConnect session: MQTTSessionInfo) async {}
    public func mqttListener(didDisconnect session: MQTTSessionInfo) async {}
    public func mqttListener(didDeny denial: MQTTACLDenial, session: MQTTSessionInfo) async {}
    public func preparesAhead(_ message: MQTTInboundPublish) -> Bool { false }

    public func mqttListener(
        prepare message: MQTTInboundPublish,
        from session: MQTTSessionInfo
    ) async -> MQTTPublishCommit {
        { try await self.mqttListener(didReceive: message, from: session) }
    }
}

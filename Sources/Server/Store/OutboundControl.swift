/// A control to (re)deliver to a device.
public struct OutboundControl: Sendable, Hashable {
    public var id: String
    public var body: [UInt8]
    public var deviceName: String
    public var topicSlug: String
}

/// Sends controls a decision produced to their devices (the MQTT listener in a running server).
public protocol ControlCourier: Sendable {
    func deliver(_ controls: [OutboundControl]) async
}

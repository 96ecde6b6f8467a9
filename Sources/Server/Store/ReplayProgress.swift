/// What one replay step did.
public struct ReplayProgress: Sendable, Hashable {
    public var lineageID: String?
    public var replayed = 0
    public var completed = false
    /// Controls to deliver now (a breaker that opened during the replay).
    public var controls: [OutboundControl] = []

    public init() {}
}

import EdgeSyncModels

public struct LineageFilter: Sendable, Hashable {
    public enum Sort: String, Sendable, CaseIterable {
        case updatedAt = "updated_at"
        case staged
        case device
    }

    public var deviceID: String?
    public var fleetID: String?
    public var status: LineageStatus?
    public var sourceTable: String?
    /// Substring of the device name or table name.
    public var query: String?
    public var sort: Sort = .updatedAt

    public init() {}
}

public struct BatchFilter: Sendable, Hashable {
    public var deviceID: String?
    public var lineageID: String?
    public var outcome: BatchOutcome?
    public var code: RejectionCode?

    public init() {}
}

public struct ReviewFilter: Sendable, Hashable {
    public var status: ReviewStatusFilter?
    public var lineageID: String?
    public var deviceID: String?
    /// Registry reviews (project/fleet scope) instead of device reviews.
    public var registry = false
    /// Substring of the device's name or the table (`!text`: neither contains it).
    public var query: String?

    public init() {}
}

public struct EventFilter: Sendable, Hashable {
    public var kind: EventKind?
    public var deviceID: String?
    public var lineageID: String?
    /// Events with an id greater than this.
    public var since: Int64?

    public init() {}
}

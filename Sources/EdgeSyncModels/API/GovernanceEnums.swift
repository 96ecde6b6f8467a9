/// How a lineage's table is captured.
public enum LineageStrategy: String, Sendable, Hashable, Codable, CaseIterable {
    case rows
    case telemetry
}

public enum LineageStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case active
    case paused
}

public enum PauseReason: String, Sendable, Hashable, Codable, CaseIterable {
    case schemaReview = "schema_review"
    case backpressure
    case materializationFailure = "materialization_failure"
    case rejected
}

/// Which side owns a table's rows. Cloud write-back needs `cloud_authoritative`.
public enum SyncAuthority: String, Sendable, Hashable, Codable, CaseIterable {
    case deviceAuthoritative = "device_authoritative"
    case cloudAuthoritative = "cloud_authoritative"
}

/// Why a row waits in staging instead of its target.
public enum StagingReason: String, Sendable, Hashable, Codable, CaseIterable {
    case schemaReview = "schema_review"
    case lineagePaused = "lineage_paused"
    case materializationFailed = "materialization_failed"
}

/// The classification of a schema hash against a lineage's approved version (docs/spec/governance.md).
public enum SchemaClassification: String, Sendable, Hashable, Codable, CaseIterable {
    case compatibleMapped = "compatible_mapped"
    case compatibleAdditive = "compatible_additive"
    case breaking
    case ambiguous
    case unknown
}

public enum ReviewStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case queued
    case inReview = "in_review"
    case approved
    case rejected
    case abandoned

    /// Open reviews can still be claimed, approved, rejected or abandoned.
    public var isOpen: Bool { self == .queued || self == .inReview }
}

/// A review list's status filter: one status, or `open` (queued and in review).
public enum ReviewStatusFilter: RawRepresentable, Sendable, Hashable, CaseIterable {
    case open
    case only(ReviewStatus)

    public init?(rawValue: String) {
        if rawValue == "open" {
            self = .open
        } else if let status = ReviewStatus(rawValue: rawValue) {
            self = .only(status)
        } else {
            return nil
        }
    }

    public var rawValue: String {
        switch self {
        case .open: "open"
        case .only(let status): status.rawValue
        }
    }

    public var statuses: [ReviewStatus] {
        switch self {
        case .open: ReviewStatus.allCases.filter(\.isOpen)
        case .only(let status): [status]
        }
    }

    public static var allCases: [ReviewStatusFilter] { [.open] + ReviewStatus.allCases.map(Self.only) }
}

/// Who a review (and its target) belongs to: one device's lineage, or a registry scope.
public enum ReviewScope: String, Sendable, Hashable, Codable, CaseIterable {
    case device
    case project
    case fleet
}

public enum CoalescingMode: String, Sendable, Hashable, Codable, CaseIterable {
    case perDevice = "per_device"
    case project
    case fleet
}

/// What happened to one uplink message.
public enum BatchOutcome: String, Sendable, Hashable, Codable, CaseIterable {
    case materialized
    case staged
    case duplicate
    case rejected
}

/// Governance policy of a project, optionally overridden per fleet (docs/spec/governance.md, "Policy").
public struct Policy: Codable, Sendable, Hashable {
    public var schemaCoalescingMode: CoalescingMode
    /// Additive schema changes keep the lineage active (a non-blocking review is still queued).
    public var allowAdditiveContinue: Bool
    /// Approvals may use `auto_create_and_map`.
    public var allowAutoCreateDeviceDataPoints: Bool
    /// Staged-row cap per lineage before backpressure pauses it.
    public var maxPendingRowsPerLineage: Int64
    /// Staged-byte cap per lineage before backpressure pauses it.
    public var maxPendingBytesPerLineage: Int64
    /// A backpressure pause lifts once rows and bytes are both below this share of the caps.
    public var resumeThresholdPercent: Int

    /// The documented defaults: per-device reviews, no additive continue, no auto-created data
    /// points, 100,000 rows / 1 GiB caps, resume at 80%.
    public static let defaults = Policy(
        schemaCoalescingMode: .perDevice,
        allowAdditiveContinue: false,
        allowAutoCreateDeviceDataPoints: false,
        maxPendingRowsPerLineage: 100_000,
        maxPendingBytesPerLineage: 1 << 30,
        resumeThresholdPercent: 80
    )

    public init(
        schemaCoalescingMode: CoalescingMode,
        allowAdditiveContinue: Bool,
        allowAutoCreateDeviceDataPoints: Bool,
        maxPendingRowsPerLineage: Int64,
        maxPendingBytesPerLineage: Int64,
        resumeThresholdPercent: Int
    ) {
        self.schemaCoalescingMode = schemaCoalescingMode
        self.allowAdditiveContinue = allowAdditiveContinue
        self.allowAutoCreateDeviceDataPoints = allowAutoCreateDeviceDataPoints
        self.maxPendingRowsPerLineage = maxPendingRowsPerLineage
        self.maxPendingBytesPerLineage = maxPendingBytesPerLineage
        self.resumeThresholdPercent = resumeThresholdPercent
    }

    enum CodingKeys: String, CodingKey {
        case schemaCoalescingMode = "schema_coalescing_mode"
        case allowAdditiveContinue = "allow_additive_continue"
        case allowAutoCreateDeviceDataPoints = "allow_auto_create_device_data_points"
        case maxPendingRowsPerLineage = "max_pending_rows_per_lineage"
        case maxPendingBytesPerLineage = "max_pending_bytes_per_lineage"
        case resumeThresholdPercent = "resume_threshold_percent"
    }

    /// Problems with the values, one message per bad field; empty when valid.
    public var problems: [String] {
        var problems: [String] = []
        if maxPendingRowsPerLineage < 1 { problems.append("max_pending_rows_per_lineage must be ≥ 1") }
        if maxPendingBytesPerLineage < 1 { problems.append("max_pending_bytes_per_lineage must be ≥ 1") }
        if !(1...99).contains(resumeThresholdPercent) { problems.append("resume_threshold_percent must be 1–99") }
        return problems
    }

    /// Applies a PATCH body; fields it leaves out keep their values.
    public func applying(_ patch: PolicyPatch) -> Policy {
        var policy = self
        if let value = patch.schemaCoalescingMode { policy.schemaCoalescingMode = value }
        if let value = patch.allowAdditiveContinue { policy.allowAdditiveContinue = value }
        if let value = patch.allowAutoCreateDeviceDataPoints { policy.allowAutoCreateDeviceDataPoints = value }
        if let value = patch.maxPendingRowsPerLineage { policy.maxPendingRowsPerLineage = value }
        if let value = patch.maxPendingBytesPerLineage { policy.maxPendingBytesPerLineage = value }
        if let value = patch.resumeThresholdPercent { policy.resumeThresholdPercent = value }
        return policy
    }
}

/// `PATCH /edge/policy`: every field optional.
public struct PolicyPatch: Codable, Sendable, Hashable {
    public var schemaCoalescingMode: CoalescingMode?
    public var allowAdditiveContinue: Bool?
    public var allowAutoCreateDeviceDataPoints: Bool?
    public var maxPendingRowsPerLineage: Int64?
    public var maxPendingBytesPerLineage: Int64?
    public var resumeThresholdPercent: Int?

    public init(
        schemaCoalescingMode: CoalescingMode? = nil,
        allowAdditiveContinue: Bool? = nil,
        allowAutoCreateDeviceDataPoints: Bool? = nil,
        maxPendingRowsPerLineage: Int64? = nil,
        maxPendingBytesPerLineage: Int64? = nil,
        resumeThresholdPercent: Int? = nil
    ) {
        self.schemaCoalescingMode = schemaCoalescingMode
        self.allowAdditiveContinue = allowAdditiveContinue
        self.allowAutoCreateDeviceDataPoints = allowAutoCreateDeviceDataPoints
        self.maxPendingRowsPerLineage = maxPendingRowsPerLineage
        self.maxPendingBytesPerLineage = maxPendingBytesPerLineage
        self.resumeThresholdPercent = resumeThresholdPercent
    }

    typealias CodingKeys = Policy.CodingKeys
}

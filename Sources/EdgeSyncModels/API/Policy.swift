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
    /// (ext) Bytes of rejected payloads kept for inspection and re-ingest, per project; the
    /// oldest are evicted beyond it (an `edge_batch.payload_evicted` event names them). 0 keeps none.
    public var maxRejectedPayloadBytes: Int64

    /// The documented defaults: per-device reviews, no additive continue, no auto-created data
    /// points, 100,000 rows / 1 GiB caps, resume at 80%, 256 MiB of rejected payloads kept.
    public static let defaults = Policy(
        schemaCoalescingMode: .perDevice,
        allowAdditiveContinue: false,
        allowAutoCreateDeviceDataPoints: false,
        maxPendingRowsPerLineage: 100_000,
        maxPendingBytesPerLineage: 1 << 30,
        resumeThresholdPercent: 80,
        maxRejectedPayloadBytes: 256 << 20
    )

    public init(
        schemaCoalescingMode: CoalescingMode,
        allowAdditiveContinue: Bool,
        allowAutoCreateDeviceDataPoints: Bool,
        maxPendingRowsPerLineage: Int64,
        maxPendingBytesPerLineage: Int64,
        resumeThresholdPercent: Int,
        maxRejectedPayloadBytes: Int64 = Policy.defaults.maxRejectedPayloadBytes
    ) {
        self.maxRejectedPayloadBytes = maxRejectedPayloadBytes
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
        case maxRejectedPayloadBytes = "max_rejected_payload_bytes"
    }

    /// A stored policy written before a field existed takes that field's default.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            schemaCoalescingMode: try container.decode(CoalescingMode.self, forKey: .schemaCoalescingMode),
            allowAdditiveContinue: try container.decode(Bool.self, forKey: .allowAdditiveContinue),
            allowAutoCreateDeviceDataPoints: try container.decode(Bool.self, forKey: .allowAutoCreateDeviceDataPoints),
            maxPendingRowsPerLineage: try container.decode(Int64.self, forKey: .maxPendingRowsPerLineage),
            maxPendingBytesPerLineage: try container.decode(Int64.self, forKey: .maxPendingBytesPerLineage),
            resumeThresholdPercent: try container.decode(Int.self, forKey: .resumeThresholdPercent),
            maxRejectedPayloadBytes: try container.decodeIfPresent(Int64.self, forKey: .maxRejectedPayloadBytes)
                ?? Policy.defaults.maxRejectedPayloadBytes
        )
    }

    /// Problems with the values, one message per bad field; empty when valid.
    public var problems: [String] {
        var problems: [String] = []
        if maxPendingRowsPerLineage < 1 { problems.append("max_pending_rows_per_lineage must be ≥ 1") }
        if maxPendingBytesPerLineage < 1 { problems.append("max_pending_bytes_per_lineage must be ≥ 1") }
        if !(1...99).contains(resumeThresholdPercent) { problems.append("resume_threshold_percent must be 1–99") }
        if maxRejectedPayloadBytes < 0 { problems.append("max_rejected_payload_bytes must be ≥ 0") }
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
        if let value = patch.maxRejectedPayloadBytes { policy.maxRejectedPayloadBytes = value }
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
    public var maxRejectedPayloadBytes: Int64?

    public init(
        schemaCoalescingMode: CoalescingMode? = nil,
        allowAdditiveContinue: Bool? = nil,
        allowAutoCreateDeviceDataPoints: Bool? = nil,
        maxPendingRowsPerLineage: Int64? = nil,
        maxPendingBytesPerLineage: Int64? = nil,
        resumeThresholdPercent: Int? = nil,
        maxRejectedPayloadBytes: Int64? = nil
    ) {
        self.maxRejectedPayloadBytes = maxRejectedPayloadBytes
        self.schemaCoalescingMode = schemaCoalescingMode
        self.allowAdditiveContinue = allowAdditiveContinue
        self.allowAutoCreateDeviceDataPoints = allowAutoCreateDeviceDataPoints
        self.maxPendingRowsPerLineage = maxPendingRowsPerLineage
        self.maxPendingBytesPerLineage = maxPendingBytesPerLineage
        self.resumeThresholdPercent = resumeThresholdPercent
    }

    typealias CodingKeys = Policy.CodingKeys
}

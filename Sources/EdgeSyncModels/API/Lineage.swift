/// The cloud's record of syncing one table from one device (docs/spec/governance.md, "Lineage").
public struct Lineage: Codable, Sendable, Hashable, Identifiable {
    public var id: String
    public var projectID: String
    public var deviceID: String
    public var deviceName: String
    public var fleetID: String
    public var sourceTable: String
    public var strategy: LineageStrategy
    public var status: LineageStatus
    public var pauseReason: PauseReason?
    public var syncAuthority: SyncAuthority
    public var schemaHash: String?
    public var stagedRowCount: Int64
    public var stagedBytes: Int64
    public var mirroredRowCount: Int64
    public var lastBatchAt: Timestamp?
    public var lastCommitSeq: Int64?
    public var lastBatchSeq: Int64?
    public var materializationFailureCount: Int
    public var lastMaterializationError: String?
    public var mirrorTable: String?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(
        id: String,
        projectID: String,
        deviceID: String,
        deviceName: String,
        fleetID: String,
        sourceTable: String,
        strategy: LineageStrategy,
        status: LineageStatus,
        pauseReason: PauseReason? = nil,
        syncAuthority: SyncAuthority = .deviceAuthoritative,
        schemaHash: String? = nil,
        stagedRowCount: Int64 = 0,
        stagedBytes: Int64 = 0,
        mirroredRowCount: Int64 = 0,
        lastBatchAt: Timestamp? = nil,
        lastCommitSeq: Int64? = nil,
        lastBatchSeq: Int64? = nil,
        materializationFailureCount: Int = 0,
        lastMaterializationError: String? = nil,
        mirrorTable: String? = nil,
        createdAt: Timestamp,
        updatedAt: Timestamp
    ) {
        self.id = id
        self.projectID = projectID
        self.deviceID = deviceID
        self.deviceName = deviceName
        self.fleetID = fleetID
        self.sourceTable = sourceTable
        self.strategy = strategy
        self.status = status
        self.pauseReason = pauseReason
        self.syncAuthority = syncAuthority
        self.schemaHash = schemaHash
        self.stagedRowCount = stagedRowCount
        self.stagedBytes = stagedBytes
        self.mirroredRowCount = mirroredRowCount
        self.lastBatchAt = lastBatchAt
        self.lastCommitSeq = lastCommitSeq
        self.lastBatchSeq = lastBatchSeq
        self.materializationFailureCount = materializationFailureCount
        self.lastMaterializationError = lastMaterializationError
        self.mirrorTable = mirrorTable
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id
        case projectID = "project_id"
        case deviceID = "device_id"
        case deviceName = "device_name"
        case fleetID = "fleet_id"
        case sourceTable = "source_table"
        case strategy, status
        case pauseReason = "pause_reason"
        case syncAuthority = "sync_authority"
        case schemaHash = "schema_hash"
        case stagedRowCount = "staged_row_count"
        case stagedBytes = "staged_bytes"
        case mirroredRowCount = "mirrored_row_count"
        case lastBatchAt = "last_batch_at"
        case lastCommitSeq = "last_commit_seq"
        case lastBatchSeq = "last_batch_seq"
        case materializationFailureCount = "materialization_failure_count"
        case lastMaterializationError = "last_materialization_error"
        case mirrorTable = "mirror_table"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    /// The server watermark a `pause_lineage`/`resume_lineage` carries: the last accepted
    /// commit_seq (rows) or batch_seq (telemetry).
    public var serverWatermark: Int64 {
        switch strategy {
        case .rows: lastCommitSeq ?? 0
        case .telemetry: lastBatchSeq ?? 0
        }
    }
}

/// `GET /edge/lineages/{id}`: the lineage with everything an operator needs to act on it.
public struct LineageDetail: Codable, Sendable, Hashable {
    public var lineage: Lineage
    public var schemaVersions: [SchemaVersion]
    public var bindings: [ColumnAction]
    public var replayIntent: ReplayIntent?
    public var pendingControls: [PendingControl]
    public var openReviewID: String?
    /// The open registry review that decides a schema this lineage waits on, when its table is
    /// coalesced (project or fleet mode). A registry review belongs to its scope, not to one
    /// lineage, and has routes of its own (`/edge/registry-reviews`), so it is not `openReviewID`.
    public var openRegistryReviewID: String?
    public var recentRejections: [BatchLedgerEntry]

    public init(
        lineage: Lineage,
        schemaVersions: [SchemaVersion] = [],
        bindings: [ColumnAction] = [],
        replayIntent: ReplayIntent? = nil,
        pendingControls: [PendingControl] = [],
        openReviewID: String? = nil,
        openRegistryReviewID: String? = nil,
        recentRejections: [BatchLedgerEntry] = []
    ) {
        self.lineage = lineage
        self.schemaVersions = schemaVersions
        self.bindings = bindings
        self.replayIntent = replayIntent
        self.pendingControls = pendingControls
        self.openReviewID = openReviewID
        self.openRegistryReviewID = openRegistryReviewID
        self.recentRejections = recentRejections
    }

    enum CodingKeys: String, CodingKey {
        case lineage
        case schemaVersions = "schema_versions"
        case bindings
        case replayIntent = "replay_intent"
        case pendingControls = "pending_controls"
        case openReviewID = "open_review_id"
        case openRegistryReviewID = "open_registry_review_id"
        case recentRejections = "recent_rejections"
    }
}

/// A distinct schema hash a lineage has sent.
public struct SchemaVersion: Codable, Sendable, Hashable {
    public enum Decision: String, Codable, Sendable, Hashable, CaseIterable {
        case pending
        case approved
        case rejected
    }

    public var schemaHash: String
    /// Nil when the device never sent `schema_columns` for this hash (classified `unknown`).
    public var columns: [SchemaColumn]?
    public var classification: SchemaClassification
    public var decision: Decision
    public var firstSeenAt: Timestamp
    public var approvedAt: Timestamp?

    public init(
        schemaHash: String,
        columns: [SchemaColumn]?,
        classification: SchemaClassification,
        decision: Decision,
        firstSeenAt: Timestamp,
        approvedAt: Timestamp? = nil
    ) {
        self.schemaHash = schemaHash
        self.columns = columns
        self.classification = classification
        self.decision = decision
        self.firstSeenAt = firstSeenAt
        self.approvedAt = approvedAt
    }

    enum CodingKeys: String, CodingKey {
        case schemaHash = "schema_hash"
        case columns, classification, decision
        case firstSeenAt = "first_seen_at"
        case approvedAt = "approved_at"
    }
}

/// The replay of staged rows into a target after an approval.
public struct ReplayIntent: Codable, Sendable, Hashable {
    public enum State: String, Codable, Sendable, Hashable, CaseIterable {
        case pending
        case running
        case completed
        case failed
    }

    public var id: String
    public var lineageID: String
    public var state: State
    public var totalRows: Int64
    public var replayedRows: Int64
    public var lastError: String?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(
        id: String,
        lineageID: String,
        state: State,
        totalRows: Int64,
        replayedRows: Int64,
        lastError: String? = nil,
        createdAt: Timestamp,
        updatedAt: Timestamp
    ) {
        self.id = id
        self.lineageID = lineageID
        self.state = state
        self.totalRows = totalRows
        self.replayedRows = replayedRows
        self.lastError = lastError
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id
        case lineageID = "lineage_id"
        case state
        case totalRows = "total_rows"
        case replayedRows = "replayed_rows"
        case lastError = "last_error"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}

/// A downlink control in the outbox, until the device ACKs it.
public struct PendingControl: Codable, Sendable, Hashable {
    public var id: String
    public var deviceID: String
    public var kind: DownlinkControl.Kind
    public var sourceTable: String?
    public var createdAt: Timestamp
    public var sentCount: Int
    public var lastSentAt: Timestamp?
    public var ackedAt: Timestamp?

    public init(
        id: String,
        deviceID: String,
        kind: DownlinkControl.Kind,
        sourceTable: String?,
        createdAt: Timestamp,
        sentCount: Int = 0,
        lastSentAt: Timestamp? = nil,
        ackedAt: Timestamp? = nil
    ) {
        self.id = id
        self.deviceID = deviceID
        self.kind = kind
        self.sourceTable = sourceTable
        self.createdAt = createdAt
        self.sentCount = sentCount
        self.lastSentAt = lastSentAt
        self.ackedAt = ackedAt
    }

    enum CodingKeys: String, CodingKey {
        case id
        case deviceID = "device_id"
        case kind
        case sourceTable = "source_table"
        case createdAt = "created_at"
        case sentCount = "sent_count"
        case lastSentAt = "last_sent_at"
        case ackedAt = "acked_at"
    }
}

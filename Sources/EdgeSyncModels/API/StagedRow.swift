/// A row kept while its lineage cannot materialize (docs/spec/governance.md, "Staging").
public struct StagedRow: Codable, Sendable, Hashable, Identifiable {
    public var id: Int64
    public var lineageID: String
    /// Rows lineages: the journal position.
    public var commitSeq: Int64?
    public var journalEpoch: String?
    /// Telemetry lineages: the sample time.
    public var ts: Timestamp?
    public var op: RowOperation?
    public var pk: JSONObject?
    /// The row (rows) or the fields (telemetry); nil for a delete.
    public var row: JSONObject?
    public var reason: StagingReason
    public var schemaHash: String
    public var bytes: Int64
    public var receivedAt: Timestamp

    public init(
        id: Int64,
        lineageID: String,
        commitSeq: Int64? = nil,
        journalEpoch: String? = nil,
        ts: Timestamp? = nil,
        op: RowOperation? = nil,
        pk: JSONObject? = nil,
        row: JSONObject?,
        reason: StagingReason,
        schemaHash: String,
        bytes: Int64,
        receivedAt: Timestamp
    ) {
        self.id = id
        self.lineageID = lineageID
        self.commitSeq = commitSeq
        self.journalEpoch = journalEpoch
        self.ts = ts
        self.op = op
        self.pk = pk
        self.row = row
        self.reason = reason
        self.schemaHash = schemaHash
        self.bytes = bytes
        self.receivedAt = receivedAt
    }

    enum CodingKeys: String, CodingKey {
        case id
        case lineageID = "lineage_id"
        case commitSeq = "commit_seq"
        case journalEpoch = "journal_epoch"
        case ts, op, pk, row, reason
        case schemaHash = "schema_hash"
        case bytes
        case receivedAt = "received_at"
    }
}

/// One uplink message in the batch ledger.
public struct BatchLedgerEntry: Codable, Sendable, Hashable, Identifiable {
    public var id: Int64
    public var receivedAt: Timestamp
    public var deviceID: String
    public var deviceName: String
    public var lineageID: String?
    public var sourceTable: String?
    public var topicSuffix: String
    public var batchID: String?
    public var kind: UplinkTopic
    public var rowCount: Int
    public var bytes: Int
    public var outcome: BatchOutcome
    public var rejectionCode: RejectionCode?
    public var rejectionMessage: String?

    public init(
        id: Int64,
        receivedAt: Timestamp,
        deviceID: String,
        deviceName: String,
        lineageID: String?,
        sourceTable: String?,
        batchID: String?,
        kind: UplinkTopic,
        rowCount: Int,
        bytes: Int,
        outcome: BatchOutcome,
        rejectionCode: RejectionCode? = nil,
        rejectionMessage: String? = nil
    ) {
        self.id = id
        self.receivedAt = receivedAt
        self.deviceID = deviceID
        self.deviceName = deviceName
        self.lineageID = lineageID
        self.sourceTable = sourceTable
        self.topicSuffix = kind.rawValue
        self.batchID = batchID
        self.kind = kind
        self.rowCount = rowCount
        self.bytes = bytes
        self.outcome = outcome
        self.rejectionCode = rejectionCode
        self.rejectionMessage = rejectionMessage
    }

    enum CodingKeys: String, CodingKey {
        case id
        case receivedAt = "received_at"
        case deviceID = "device_id"
        case deviceName = "device_name"
        case lineageID = "lineage_id"
        case sourceTable = "source_table"
        case topicSuffix = "topic_suffix"
        case batchID = "batch_id"
        case kind
        case rowCount = "row_count"
        case bytes, outcome
        case rejectionCode = "rejection_code"
        case rejectionMessage = "rejection_message"
    }
}

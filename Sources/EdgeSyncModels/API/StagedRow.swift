/// A row kept while its lineage cannot materialize (docs/spec/governance.md, "Staging").
public struct StagedRow: Codable, Sendable, Hashable, Identifiable {
    public var id: Int64
    public var lineageID: String
    /// Rows lineages: the journal position.
    public var commitSeq: Int64?
    public var journalEpoch: String?
    /// Telemetry lineages: the sample time.
    public var ts: Timestamp?
    /// Telemetry lineages: the sample's `row_id`, when the device sent one.
    public var rowID: String?
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
        receivedAt: Timestamp,
        rowID: String? = nil
    ) {
        self.id = id
        self.rowID = rowID
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
        case ts
        case rowID = "row_id"
        case op, pk, row, reason
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
    /// (ext) A rejected batch's exact bytes are kept (until the project's
    /// `max_rejected_payload_bytes` evicts the oldest) and can be re-ingested.
    public var payloadKept: Bool
    /// (ext) The ledger entry a re-ingest of this rejected batch produced (0: it produced none, as
    /// an accepted schema observation does).
    public var reingestedEntryID: Int64?

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
        rejectionMessage: String? = nil,
        payloadKept: Bool = false,
        reingestedEntryID: Int64? = nil
    ) {
        self.payloadKept = payloadKept
        self.reingestedEntryID = reingestedEntryID
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
        case payloadKept = "payload_kept"
        case reingestedEntryID = "reingested_entry_id"
    }
}

/// `POST …/edge/batches/{entry_id}/reingest`: what the kept payload did this time.
public struct ReingestResult: Codable, Sendable, Hashable {
    /// The rejected entry that was re-ingested.
    public var entryID: Int64
    /// The new ledger entry; nil when the payload produced none (an acknowledgement).
    public var reingestedEntryID: Int64?
    public var outcome: BatchOutcome?
    public var rejectionCode: RejectionCode?
    public var stagedRows: Int

    public init(
        entryID: Int64,
        reingestedEntryID: Int64?,
        outcome: BatchOutcome?,
        rejectionCode: RejectionCode?,
        stagedRows: Int
    ) {
        self.entryID = entryID
        self.reingestedEntryID = reingestedEntryID
        self.outcome = outcome
        self.rejectionCode = rejectionCode
        self.stagedRows = stagedRows
    }

    enum CodingKeys: String, CodingKey {
        case entryID = "entry_id"
        case reingestedEntryID = "reingested_entry_id"
        case outcome
        case rejectionCode = "rejection_code"
        case stagedRows = "staged_rows"
    }
}

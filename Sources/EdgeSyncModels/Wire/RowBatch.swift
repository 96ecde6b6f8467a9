/// A row journal batch from a `rows` table (`sync/rows/batch`).
public struct RowBatch: Sendable, Hashable, Codable {
    public var formatVersion: Int64
    public var captureStrategy: CaptureStrategy
    public var batchID: UUIDv7
    public var journalEpoch: UUIDv7
    public var sourceTable: String
    public var schemaHash: String
    /// Sent on the first batch after start and after each schema change.
    public var schemaColumns: SchemaFingerprint?
    public var firstCommitSeq: Int64
    public var lastCommitSeq: Int64
    public var rows: [RowChange]
    /// (ext) Sent once the batches of this epoch reach the end of its snapshot: every row the
    /// device holds has a change at or below this commit_seq, so mirror rows of older epochs that
    /// the snapshot did not carry are gone from the device (docs/spec/wire-protocol.md, "Re-snapshot").
    public var snapshotThrough: Int64?

    public init(
        batchID: UUIDv7,
        journalEpoch: UUIDv7,
        sourceTable: String,
        schemaHash: String,
        schemaColumns: SchemaFingerprint? = nil,
        rows: [RowChange]
    ) {
        self.formatVersion = WireLimits.formatVersion
        self.captureStrategy = .rowBatch
        self.batchID = batchID
        self.journalEpoch = journalEpoch
        self.sourceTable = sourceTable
        self.schemaHash = schemaHash
        self.schemaColumns = schemaColumns
        self.firstCommitSeq = rows.map(\.commitSeq).min() ?? 0
        self.lastCommitSeq = rows.map(\.commitSeq).max() ?? 0
        self.rows = rows
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case captureStrategy = "capture_strategy"
        case batchID = "batch_id"
        case journalEpoch = "journal_epoch"
        case sourceTable = "source_table"
        case schemaHash = "schema_hash"
        case schemaColumns = "schema_columns"
        case firstCommitSeq = "first_commit_seq"
        case lastCommitSeq = "last_commit_seq"
        case rows
        case snapshotThrough = "snapshot_through_commit_seq"
    }
}

/// The kind of change one journal entry records.
public enum RowOperation: String, Sendable, Hashable, Codable, CaseIterable {
    case insert
    case update
    case delete

    /// Insert and update carry the full row; delete carries none.
    public var carriesRow: Bool { self != .delete }
}

/// One journaled change of a row.
public struct RowChange: Sendable, Hashable, Codable {
    public var commitSeq: Int64
    public var op: RowOperation
    public var pk: JSONObject
    /// The full row for insert/update; nil for delete.
    public var row: JSONObject?
    /// Last known cloud version, on rows whose values came from a `state_write`.
    public var lkcv: Int64?

    public init(commitSeq: Int64, op: RowOperation, pk: JSONObject, row: JSONObject?, lkcv: Int64? = nil) {
        self.commitSeq = commitSeq
        self.op = op
        self.pk = pk
        self.row = row
        self.lkcv = lkcv
    }

    enum CodingKeys: String, CodingKey {
        case commitSeq = "commit_seq"
        case op, pk, row, lkcv
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(commitSeq, forKey: .commitSeq)
        try container.encode(op, forKey: .op)
        try container.encode(pk, forKey: .pk)
        // `row` is always present: `null` for a delete, as the spec's examples show.
        try container.encode(row, forKey: .row)
        try container.encodeIfPresent(lkcv, forKey: .lkcv)
    }

    /// `source_pk_hash` of this change's row.
    public var sourcePKHash: String { PrimaryKeyHash.hash(of: pk) }
}

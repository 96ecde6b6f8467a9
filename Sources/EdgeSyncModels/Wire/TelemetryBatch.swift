/// A batch of time-series rows from a `telemetry` table (`sync/telemetry/batch`).
public struct TelemetryBatch: Sendable, Hashable, Codable {
    public var formatVersion: Int64
    public var captureStrategy: CaptureStrategy
    public var batchID: UUIDv7
    /// Strictly increasing per (device, table); a resent batch keeps its value.
    public var batchSeq: Int64
    /// (ext) The history `batch_seq` counts in: a newer epoch starts the table's sequence over,
    /// which is how a device that lost its state gets back (docs/spec/wire-protocol.md, "Recovery").
    public var journalEpoch: UUIDv7?
    public var sourceTable: String
    public var schemaHash: String
    public var schemaColumns: SchemaFingerprint?
    public var cursorStartTs: Timestamp
    public var cursorEndTs: Timestamp
    public var rowCount: Int
    public var rows: [TelemetryRow]

    public init(
        batchID: UUIDv7,
        batchSeq: Int64,
        sourceTable: String,
        schemaHash: String,
        schemaColumns: SchemaFingerprint? = nil,
        rows: [TelemetryRow]
    ) {
        self.formatVersion = WireLimits.formatVersion
        self.captureStrategy = .telemetryBatch
        self.batchID = batchID
        self.batchSeq = batchSeq
        self.sourceTable = sourceTable
        self.schemaHash = schemaHash
        self.schemaColumns = schemaColumns
        self.cursorStartTs = rows.map(\.ts).min() ?? Timestamp(seconds: 0)
        self.cursorEndTs = rows.map(\.ts).max() ?? Timestamp(seconds: 0)
        self.rowCount = rows.count
        self.rows = rows
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case captureStrategy = "capture_strategy"
        case batchID = "batch_id"
        case batchSeq = "batch_seq"
        case journalEpoch = "journal_epoch"
        case sourceTable = "source_table"
        case schemaHash = "schema_hash"
        case schemaColumns = "schema_columns"
        case cursorStartTs = "cursor_start_ts"
        case cursorEndTs = "cursor_end_ts"
        case rowCount = "row_count"
        case rows
    }
}

/// One time-series sample.
public struct TelemetryRow: Sendable, Hashable, Codable {
    public var ts: Timestamp
    /// The source rowid as text, when the agent sends it (1–128 chars).
    public var rowID: String?
    public var fields: JSONObject

    public init(ts: Timestamp, rowID: String? = nil, fields: JSONObject) {
        self.ts = ts
        self.rowID = rowID
        self.fields = fields
    }

    enum CodingKeys: String, CodingKey {
        case ts
        case rowID = "row_id"
        case fields
    }
}

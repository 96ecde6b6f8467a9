/// Why an uplink payload was rejected. The raw values are stable API: they appear in the batch
/// ledger, in `batch_rejected` controls and in the HTTP API, and are never renamed.
public enum RejectionCode: String, Sendable, Hashable, Codable, CaseIterable {
    case payloadTooLarge = "payload_too_large"
    case invalidNumberEncoding = "invalid_number_encoding"
    case invalidJSON = "invalid_json"
    case envelopeUnstrippedTenantFields = "envelope_unstripped_tenant_fields"
    case invalidFormatVersion = "invalid_format_version"
    case unsupportedFormatVersion = "unsupported_format_version"
    case invalidCaptureStrategy = "invalid_capture_strategy"
    case invalidBatchID = "invalid_batch_id"
    case invalidSourceTable = "invalid_source_table"
    case invalidSchemaHash = "invalid_schema_hash"
    case batchTooManyRows = "batch_too_many_rows"
    case invalidJournalEpoch = "invalid_journal_epoch"
    case invalidRowOp = "invalid_row_op"
    case missingRowForUpsert = "missing_row_for_upsert"
    case commitSeqRangeMismatch = "commit_seq_range_mismatch"
    case schemaHashMismatch = "schema_hash_mismatch"
    case rowCountMismatch = "row_count_mismatch"
    case invalidRowID = "invalid_row_id"
    case cursorTimestampMismatch = "cursor_timestamp_mismatch"
    /// Decided by the ingest pipeline (needs the lineage's history), not by the stateless validator.
    case duplicateBatchSeq = "duplicate_batch_seq"
    /// Decided by the ingest pipeline, like `duplicate_batch_seq`.
    case staleBatchSeq = "stale_batch_seq"
    /// (ext) a required field is missing or has the wrong type; the message names it.
    case invalidPayload = "invalid_payload"
    /// (ext) a timestamp field is not RFC 3339.
    case invalidTimestamp = "invalid_timestamp"
    /// (ext) a delete carries a row.
    case rowOnDelete = "row_on_delete"
    /// (ext) a row's commit_seq is lower than the one before it.
    case commitSeqOutOfOrder = "commit_seq_out_of_order"
    /// (ext) `pk` does not name the key columns, or disagrees with the row's values for them.
    case pkRowMismatch = "pk_row_mismatch"
    /// (ext) a payload that starts as a zstd frame but is not one whole frame.
    case invalidContentEncoding = "invalid_content_encoding"

    /// Codes this product adds to the reference protocol.
    public var isExtension: Bool {
        switch self {
        case .invalidPayload, .invalidTimestamp, .rowOnDelete, .commitSeqOutOfOrder, .pkRowMismatch,
            .invalidContentEncoding:
            true
        default: false
        }
    }

    /// A one-line explanation for operators.
    public var summary: String {
        switch self {
        case .payloadTooLarge: "payload larger than 512 KiB"
        case .invalidNumberEncoding: "bare NaN or Infinity outside a string"
        case .invalidJSON: "not a JSON object"
        case .envelopeUnstrippedTenantFields: "device sent tenant fields (device_id, org_id, project_id, fleet_id)"
        case .invalidFormatVersion: "format_version missing, not an integer, or below 1"
        case .unsupportedFormatVersion: "format_version newer than this server supports"
        case .invalidCaptureStrategy: "capture_strategy does not match the topic"
        case .invalidBatchID: "batch_id is not a UUIDv7"
        case .invalidSourceTable: "source_table missing, empty, over 128 bytes or containing NUL"
        case .invalidSchemaHash: "schema_hash is not 64 lowercase hex characters"
        case .batchTooManyRows: "more than 4,096 rows"
        case .invalidJournalEpoch: "journal_epoch is not a UUIDv7"
        case .invalidRowOp: "row op is not insert, update or delete"
        case .missingRowForUpsert: "insert or update without a row"
        case .commitSeqRangeMismatch: "first/last_commit_seq differ from the rows' min/max"
        case .schemaHashMismatch: "schema_columns does not hash to schema_hash"
        case .rowCountMismatch: "row_count differs from the number of rows"
        case .invalidRowID: "row_id is not a string of 1–128 characters"
        case .cursorTimestampMismatch: "cursor timestamps differ from the rows' min/max ts"
        case .duplicateBatchSeq: "a different batch already used this batch_seq"
        case .staleBatchSeq: "batch_seq lower than the highest accepted"
        case .invalidPayload: "a required field is missing or has the wrong type"
        case .invalidTimestamp: "a timestamp is not RFC 3339"
        case .rowOnDelete: "a delete carries a row"
        case .commitSeqOutOfOrder: "rows are not in commit_seq order"
        case .pkRowMismatch: "pk does not match the key columns of its row"
        case .invalidContentEncoding: "a zstd payload that is not one whole zstd frame"
        }
    }
}

/// A rejected payload: the code, a message naming the problem, and whatever identity could be
/// read from it, so the ledger and the `batch_rejected` control can name the batch.
public struct PayloadRejection: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: RejectionCode
    public var message: String
    /// `batch_id` as sent, when it was a string (even an invalid one).
    public var batchID: String?
    /// `source_table` as sent, when it was a string (even an invalid one).
    public var sourceTable: String?

    public init(code: RejectionCode, message: String, batchID: String? = nil, sourceTable: String? = nil) {
        self.code = code
        self.message = message
        self.batchID = batchID
        self.sourceTable = sourceTable
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

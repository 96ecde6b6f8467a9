import EdgeSyncModels

/// Per-table progress kept by the agent.
struct TableProgress: Sendable, Hashable {
    var name: String
    /// The journal epoch the cursor belongs to: a cursor of another epoch means nothing, so a
    /// renewed capture starts again from the beginning of its journal.
    var epoch: String?
    /// The last journal seq the server acknowledged (rows: the commit_seq).
    var lastAckedSeq: Int64 = 0
    /// Telemetry: the last batch_seq acknowledged.
    var batchSeq: Int64 = 0
    /// An older agent's telemetry cursor, used once by the upgrade of its capture.
    var legacyTelemetryCursor: LegacyJournal.TelemetryCursor?
    /// The fingerprint hash last sent with `schema_columns` (nil: send them on the next batch).
    var sentSchemaHash: String?
    var paused = false
    var watermark: Int64?
    var lastError: String?

    /// The cursor for `epoch`: 0 when it belongs to another one.
    func cursor(in epoch: String) -> Int64 { self.epoch == epoch ? lastAckedSeq : 0 }
}

/// A batch persisted before it is sent, so a resend after a crash has the same id and bytes.
struct OutboundBatch: Sendable, Hashable {
    var table: String
    var epoch: String
    var batchID: String
    var topic: UplinkTopic
    var body: [UInt8]
    var rowCount: Int
    /// The last journal seq the batch consumed, and (telemetry) its batch_seq.
    var lastSeq: Int64
    var batchSeq: Int64?
    /// The schema hash whose columns the batch carries, if any.
    var schemaHashSent: String?
    /// Built as large as a batch gets (`BuiltBatch.full`); not kept: a batch read back from the
    /// state file counts as not full.
    var full = false
}

/// The upload of a table's large backlog: requested, then granted, then (object written to a
/// file) with the last journal seq it carries, so a restart PUTs and finalizes the same object.
struct SpillUpload: Sendable, Hashable {
    var table: String
    var epoch: String
    var batchID: String?
    var url: String?
    var segmentKind: SegmentKind
    var expiresAt: Int64?
    var requestedAt: Int64
    var lastSeq: Int64?
    var objectPath: String?
}

/// A line of what the agent did on its own (drops, renewals, rejections), newest first.
struct AgentReport: Sendable, Hashable {
    var at: String
    var table: String?
    var message: String
}

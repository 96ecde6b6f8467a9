import EdgeSyncModels

/// Everything one uplink message asks the store to record, prepared outside the write
/// transaction (JSON decoding, hashing and encoding happen here, not while holding the writer).
public struct IngestPlan: Sendable {
    public var device: DeviceIdentity
    public var receivedAt: Timestamp
    public var topic: UplinkTopic
    public var bytes: Int
    public var content: Content
    /// The message as received: kept by the store when the message is rejected.
    public var payload: [UInt8] = []

    public enum Content: Sendable {
        case rowBatch(PlannedRowBatch)
        case telemetryBatch(PlannedTelemetryBatch)
        case rejection(PayloadRejection)
        case observation(sourceTable: String, schemaHash: String, columnsJSON: String?)
    }
}

/// The schema a batch declares: its hash and, when the device sent it, the columns.
public struct PlannedSchema: Sendable {
    public var hash: String
    public var columns: [SchemaColumn]?
    public var columnsJSON: String?
    /// Columns inferred from the batch's first row when the device sent none.
    public var inferred: [SchemaColumn]?
}

public struct PlannedRowBatch: Sendable {
    public var batchID: String
    public var journalEpoch: String
    public var sourceTable: String
    public var schema: PlannedSchema
    public var rows: [PlannedRow]
    /// The end of the epoch's snapshot, when the batch reaches it.
    public var snapshotThrough: Int64?
}

public struct PlannedRow: Sendable {
    public var commitSeq: Int64
    public var op: RowOperation
    public var pkHash: String
    public var pkJSON: String
    /// The row as staged, when the batch was expected to stage (`StagingForecast`); nil for a
    /// delete, or for `staged` to encode.
    public var rowJSON: String?
    /// Parsed once here, for live materialization.
    public var pk: JSONObject
    public var row: JSONObject?

    /// What staging stores of the row, and the bytes it counts against the lineage's caps.
    public func staged() -> (rowJSON: String?, bytes: Int) {
        let json = rowJSON ?? row.map(Self.stagedJSON)
        return (json, pkJSON.utf8.count + (json?.utf8.count ?? 0))
    }

    /// Typed, not canonical: a REAL `40.0` staged stays a REAL when it is served or replayed.
    static func stagedJSON(_ row: JSONObject) -> String {
        CanonicalJSON.string(of: .object(row), style: .typed)
    }
}

public struct PlannedTelemetryBatch: Sendable {
    public var batchID: String
    public var batchSeq: Int64
    /// '' when the device sends none.
    public var journalEpoch: String
    public var sourceTable: String
    public var schema: PlannedSchema
    public var samples: [PlannedSample]
}

public struct PlannedSample: Sendable {
    public var ts: Timestamp
    public var rowID: String?
    public var fieldsJSON: String
    public var bytes: Int
    public var fields: JSONObject
}

/// What the store decided for one message.
public struct IngestResult: Sendable, Hashable {
    public var outcome: BatchOutcome?
    public var lineageID: String?
    public var ledgerID: Int64?
    /// Rows (or samples) newly staged; duplicates are not counted.
    public var stagedRows: Int
    public var rejection: RejectionCode?
    /// Controls created by this message, to deliver now.
    public var controls: [OutboundControl]

    public init(
        outcome: BatchOutcome?,
        lineageID: String? = nil,
        ledgerID: Int64? = nil,
        stagedRows: Int = 0,
        rejection: RejectionCode? = nil,
        controls: [OutboundControl] = []
    ) {
        self.outcome = outcome
        self.lineageID = lineageID
        self.ledgerID = ledgerID
        self.stagedRows = stagedRows
        self.rejection = rejection
        self.controls = controls
    }
}

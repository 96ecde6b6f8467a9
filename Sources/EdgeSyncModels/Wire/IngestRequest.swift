/// What an uploaded object holds.
public enum SegmentKind: String, Sendable, Hashable, Codable, CaseIterable {
    case bootstrapSnapshot = "bootstrap_snapshot"
    case payloadSpill = "payload_spill"
}

/// (ext) What the rows of an uploaded object need to be ingested like a row batch: their
/// journal_epoch and schema, sent with `finalize`.
public struct UploadHeader: Sendable, Hashable {
    public var journalEpoch: UUIDv7
    public var schemaHash: String
    public var schemaColumns: SchemaFingerprint?
    /// (ext) The object reaches the end of its epoch's snapshot: see the row batch's
    /// `snapshot_through_commit_seq`.
    public var snapshotThrough: Int64?

    public init(
        journalEpoch: UUIDv7,
        schemaHash: String,
        schemaColumns: SchemaFingerprint? = nil,
        snapshotThrough: Int64? = nil
    ) {
        self.journalEpoch = journalEpoch
        self.schemaHash = schemaHash
        self.schemaColumns = schemaColumns
        self.snapshotThrough = snapshotThrough
    }
}

/// A device's request about an upload (`sync/ingest/request`): ask for a URL, or finalize an
/// object already PUT to a granted URL.
public enum IngestRequest: Sendable, Hashable, Codable {
    case urlRequest(sourceTable: String, segmentKind: SegmentKind)
    case finalize(sourceTable: String, batchID: UUIDv7, segmentKind: SegmentKind, header: UploadHeader? = nil)

    public enum Kind: String, Sendable, Hashable, Codable {
        case urlRequest = "url_request"
        case finalize
    }

    public var kind: Kind {
        switch self {
        case .urlRequest: .urlRequest
        case .finalize: .finalize
        }
    }

    public var sourceTable: String {
        switch self {
        case .urlRequest(let table, _), .finalize(let table, _, _, _): table
        }
    }

    public var segmentKind: SegmentKind {
        switch self {
        case .urlRequest(_, let kind), .finalize(_, _, let kind, _): kind
        }
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case requestKind = "request_kind"
        case sourceTable = "source_table"
        case segmentKind = "segment_kind"
        case batchID = "batch_id"
        case journalEpoch = "journal_epoch"
        case schemaHash = "schema_hash"
        case schemaColumns = "schema_columns"
        case snapshotThrough = "snapshot_through_commit_seq"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let table = try container.decode(String.self, forKey: .sourceTable)
        let segment = try container.decode(SegmentKind.self, forKey: .segmentKind)
        switch try container.decode(Kind.self, forKey: .requestKind) {
        case .urlRequest: self = .urlRequest(sourceTable: table, segmentKind: segment)
        case .finalize:
            let header = try container.decodeIfPresent(UUIDv7.self, forKey: .journalEpoch).map { epoch in
                UploadHeader(
                    journalEpoch: epoch,
                    schemaHash: try container.decode(String.self, forKey: .schemaHash),
                    schemaColumns: try container.decodeIfPresent(SchemaFingerprint.self, forKey: .schemaColumns),
                    snapshotThrough: try container.decodeIfPresent(Int64.self, forKey: .snapshotThrough)
                )
            }
            self = .finalize(
                sourceTable: table,
                batchID: try container.decode(UUIDv7.self, forKey: .batchID),
                segmentKind: segment,
                header: header
            )
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(WireLimits.formatVersion, forKey: .formatVersion)
        try container.encode(kind, forKey: .requestKind)
        try container.encode(sourceTable, forKey: .sourceTable)
        if case .finalize(_, let batchID, _, let header) = self {
            try container.encode(batchID, forKey: .batchID)
            try container.encodeIfPresent(header?.journalEpoch, forKey: .journalEpoch)
            try container.encodeIfPresent(header?.schemaHash, forKey: .schemaHash)
            try container.encodeIfPresent(header?.schemaColumns, forKey: .schemaColumns)
            try container.encodeIfPresent(header?.snapshotThrough, forKey: .snapshotThrough)
        }
        try container.encode(segmentKind, forKey: .segmentKind)
    }
}

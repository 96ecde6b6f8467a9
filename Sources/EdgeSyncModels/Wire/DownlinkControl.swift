/// A control the server sends a device on `sync/ingest/control` (QoS 1). The device ACKs every
/// control at once, then acts; a repeated `control_id` is ACKed again and not acted on twice.
public struct DownlinkControl: Sendable, Hashable, Codable {
    public var controlID: String
    public var payload: Payload

    public init(controlID: String, payload: Payload) {
        self.controlID = controlID
        self.payload = payload
    }

    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case pauseLineage = "pause_lineage"
        case resumeLineage = "resume_lineage"
        case urlGrant = "url_grant"
        case stateWrite = "state_write"
        case batchRejected = "batch_rejected"
        case serverHello = "server_hello"
    }

    public enum Payload: Sendable, Hashable {
        /// Stop publishing the table; `serverWatermark` is the last accepted commit_seq/batch_seq.
        case pauseLineage(sourceTable: String, serverWatermark: Int64, reason: String)
        /// Publish again from `serverWatermark + 1`.
        case resumeLineage(sourceTable: String, serverWatermark: Int64)
        case urlGrant(UploadGrant)
        case stateWrite(sourceTable: String, rows: [StateWriteRow])
        /// (ext) the batch failed validation; `reason` is the rejection code. `batchID` and
        /// `sourceTable` are echoed as received, and absent when they were not strings.
        case batchRejected(sourceTable: String?, batchID: String?, reason: RejectionCode, message: String?)
        /// (ext) sent on every connection before any other control: the payload encodings the
        /// server accepts from now on, on this connection. Not kept, not redelivered.
        case serverHello(contentEncodings: [String])
    }

    public var kind: Kind {
        switch payload {
        case .pauseLineage: .pauseLineage
        case .resumeLineage: .resumeLineage
        case .urlGrant: .urlGrant
        case .stateWrite: .stateWrite
        case .batchRejected: .batchRejected
        case .serverHello: .serverHello
        }
    }

    enum CodingKeys: String, CodingKey {
        case controlID = "control_id"
        case controlKind = "control_kind"
        case sourceTable = "source_table"
        case serverWatermark = "server_watermark"
        case reason, message, rows
        case batchID = "batch_id"
        case presignedURL = "presigned_url"
        case presignedURLExpiresAt = "presigned_url_expires_at"
        case segmentKind = "segment_kind"
        case contentEncodings = "content_encodings"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        controlID = try c.decode(String.self, forKey: .controlID)
        switch try c.decode(Kind.self, forKey: .controlKind) {
        case .pauseLineage:
            payload = .pauseLineage(
                sourceTable: try c.decode(String.self, forKey: .sourceTable),
                serverWatermark: try c.decode(Int64.self, forKey: .serverWatermark),
                reason: try c.decodeIfPresent(String.self, forKey: .reason) ?? ""
            )
        case .resumeLineage:
            payload = .resumeLineage(
                sourceTable: try c.decode(String.self, forKey: .sourceTable),
                serverWatermark: try c.decode(Int64.self, forKey: .serverWatermark)
            )
        case .urlGrant:
            payload = .urlGrant(
                UploadGrant(
                    sourceTable: try c.decode(String.self, forKey: .sourceTable),
                    presignedURL: try c.decode(String.self, forKey: .presignedURL),
                    expiresAt: try c.decode(Timestamp.self, forKey: .presignedURLExpiresAt),
                    batchID: try c.decode(UUIDv7.self, forKey: .batchID),
                    segmentKind: try c.decode(SegmentKind.self, forKey: .segmentKind)
                )
            )
        case .stateWrite:
            payload = .stateWrite(
                sourceTable: try c.decode(String.self, forKey: .sourceTable),
                rows: try c.decode([StateWriteRow].self, forKey: .rows)
            )
        case .batchRejected:
            let code = try c.decode(String.self, forKey: .reason)
            payload = .batchRejected(
                sourceTable: try c.decodeIfPresent(String.self, forKey: .sourceTable),
                batchID: try c.decodeIfPresent(String.self, forKey: .batchID),
                reason: RejectionCode(rawValue: code) ?? .invalidPayload,
                message: try c.decodeIfPresent(String.self, forKey: .message)
            )
        case .serverHello:
            payload = .serverHello(contentEncodings: try c.decode([String].self, forKey: .contentEncodings))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(controlID, forKey: .controlID)
        try c.encode(kind, forKey: .controlKind)
        switch payload {
        case .pauseLineage(let table, let watermark, let reason):
            try c.encode(table, forKey: .sourceTable)
            try c.encode(watermark, forKey: .serverWatermark)
            try c.encode(reason, forKey: .reason)
        case .resumeLineage(let table, let watermark):
            try c.encode(table, forKey: .sourceTable)
            try c.encode(watermark, forKey: .serverWatermark)
        case .urlGrant(let grant):
            try c.encode(grant.sourceTable, forKey: .sourceTable)
            try c.encode(grant.presignedURL, forKey: .presignedURL)
            try c.encode(grant.expiresAt, forKey: .presignedURLExpiresAt)
            try c.encode(grant.batchID, forKey: .batchID)
            try c.encode(grant.segmentKind, forKey: .segmentKind)
        case .stateWrite(let table, let rows):
            try c.encode(table, forKey: .sourceTable)
            try c.encode(rows, forKey: .rows)
        case .batchRejected(let table, let batchID, let reason, let message):
            try c.encodeIfPresent(table, forKey: .sourceTable)
            try c.encodeIfPresent(batchID, forKey: .batchID)
            try c.encode(reason.rawValue, forKey: .reason)
            try c.encodeIfPresent(message, forKey: .message)
        case .serverHello(let encodings):
            try c.encode(encodings, forKey: .contentEncodings)
        }
    }
}

/// A single-use upload URL for a bootstrap snapshot or a spilled payload.
public struct UploadGrant: Sendable, Hashable {
    public var sourceTable: String
    public var presignedURL: String
    public var expiresAt: Timestamp
    public var batchID: UUIDv7
    public var segmentKind: SegmentKind

    public init(
        sourceTable: String,
        presignedURL: String,
        expiresAt: Timestamp,
        batchID: UUIDv7,
        segmentKind: SegmentKind
    ) {
        self.sourceTable = sourceTable
        self.presignedURL = presignedURL
        self.expiresAt = expiresAt
        self.batchID = batchID
        self.segmentKind = segmentKind
    }
}

/// One row written from the cloud into a `cloud_authoritative` table.
public struct StateWriteRow: Sendable, Hashable, Codable {
    public var pk: JSONObject
    public var values: JSONObject
    public var cloudVersion: Int64

    public init(pk: JSONObject, values: JSONObject, cloudVersion: Int64) {
        self.pk = pk
        self.values = values
        self.cloudVersion = cloudVersion
    }

    enum CodingKeys: String, CodingKey {
        case pk, values
        case cloudVersion = "cloud_version"
    }
}

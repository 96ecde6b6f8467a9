/// Kinds of governance events (docs/spec/governance.md, "Events"). Stored as their raw strings.
public enum EventKind: String, Sendable, Hashable, Codable, CaseIterable {
    case reviewQueued = "edge_schema_review.queued"
    case reviewClaimed = "edge_schema_review.claimed"
    case reviewApproved = "edge_schema_review.approved"
    case reviewRejected = "edge_schema_review.rejected"
    case reviewAbandoned = "edge_schema_review.abandoned"
    case lineageCreated = "edge_table_lineage.created"
    case lineagePaused = "edge_table_lineage.ingestion_paused"
    case lineageResumed = "edge_table_lineage.ingestion_resumed"
    case lineageDeleted = "edge_table_lineage.deleted"
    /// (ext) A re-snapshot converged the mirror: rows the device no longer has were removed.
    case rowsRetired = "edge_table_lineage.rows_retired"
    case batchRejected = "edge_batch.rejected"
    /// (ext) The oldest kept rejected payloads were dropped to stay within the policy's limit.
    case rejectedPayloadEvicted = "edge_batch.payload_evicted"
    /// (ext) An operator re-ingested a kept rejected payload.
    case batchReingested = "edge_batch.reingested"
    case materializationFailed = "edge_materialization.failed"
    case replayCompleted = "edge_materialization.replay_completed"
    case controlSent = "edge_control.sent"
    case controlAcked = "edge_control.acked"
    case deviceConnected = "device.connected"
    case deviceDisconnected = "device.disconnected"
    case deviceACLDenied = "device.acl_denied"
    /// A known device refused at CONNECT: a superseded or revoked certificate.
    case deviceAuthRefused = "device.auth_refused"
    case deviceCredentialsRevoked = "device.credentials_revoked"
}

/// A stored governance event; ids increase monotonically, so `Last-Event-ID` can resume a stream.
public struct Event: Codable, Sendable, Hashable, Identifiable {
    public var id: Int64
    public var time: Timestamp
    public var projectID: String
    public var deviceID: String?
    public var lineageID: String?
    public var kind: EventKind
    public var outcome: String
    public var message: String
    /// The device's name and the lineage's table when they still exist (names for people; the ids
    /// stay for scripts).
    public var deviceName: String?
    public var sourceTable: String?

    public init(
        id: Int64,
        time: Timestamp,
        projectID: String,
        deviceID: String? = nil,
        lineageID: String? = nil,
        kind: EventKind,
        outcome: String,
        message: String,
        deviceName: String? = nil,
        sourceTable: String? = nil
    ) {
        self.id = id
        self.time = time
        self.projectID = projectID
        self.deviceID = deviceID
        self.lineageID = lineageID
        self.kind = kind
        self.outcome = outcome
        self.message = message
        self.deviceName = deviceName
        self.sourceTable = sourceTable
    }

    enum CodingKeys: String, CodingKey {
        case id, time
        case projectID = "project_id"
        case deviceID = "device_id"
        case lineageID = "lineage_id"
        case kind, outcome, message
        case deviceName = "device_name"
        case sourceTable = "source_table"
    }
}

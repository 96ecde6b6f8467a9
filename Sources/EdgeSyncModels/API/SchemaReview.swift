/// A human decision about one schema hash (docs/spec/governance.md, "Schema reviews").
public struct SchemaReview: Codable, Sendable, Hashable, Identifiable {
    public var id: String
    public var projectID: String
    public var scope: ReviewScope
    /// Nil for registry reviews.
    public var lineageID: String?
    public var deviceID: String?
    public var deviceName: String?
    /// The fleet of a fleet-scoped registry review.
    public var fleetID: String?
    public var sourceTable: String
    public var strategy: LineageStrategy
    public var schemaHash: String
    public var classification: SchemaClassification
    public var classificationReason: String
    public var status: ReviewStatus
    /// Starts at 1, increased by every transition; mutations carry the version the caller saw.
    public var actionVersion: Int
    public var claimedBy: String?
    public var claimedAt: Timestamp?
    public var decidedBy: String?
    public var decidedAt: Timestamp?
    /// Reject/abandon reason (`superseded` when a newer hash replaced it).
    public var reason: String?
    public var stagedRowCount: Int64
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(
        id: String,
        projectID: String,
        scope: ReviewScope,
        lineageID: String?,
        deviceID: String?,
        deviceName: String?,
        fleetID: String? = nil,
        sourceTable: String,
        strategy: LineageStrategy,
        schemaHash: String,
        classification: SchemaClassification,
        classificationReason: String,
        status: ReviewStatus,
        actionVersion: Int = 1,
        claimedBy: String? = nil,
        claimedAt: Timestamp? = nil,
        decidedBy: String? = nil,
        decidedAt: Timestamp? = nil,
        reason: String? = nil,
        stagedRowCount: Int64 = 0,
        createdAt: Timestamp,
        updatedAt: Timestamp
    ) {
        self.id = id
        self.projectID = projectID
        self.scope = scope
        self.lineageID = lineageID
        self.deviceID = deviceID
        self.deviceName = deviceName
        self.fleetID = fleetID
        self.sourceTable = sourceTable
        self.strategy = strategy
        self.schemaHash = schemaHash
        self.classification = classification
        self.classificationReason = classificationReason
        self.status = status
        self.actionVersion = actionVersion
        self.claimedBy = claimedBy
        self.claimedAt = claimedAt
        self.decidedBy = decidedBy
        self.decidedAt = decidedAt
        self.reason = reason
        self.stagedRowCount = stagedRowCount
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id
        case projectID = "project_id"
        case scope
        case lineageID = "lineage_id"
        case deviceID = "device_id"
        case deviceName = "device_name"
        case fleetID = "fleet_id"
        case sourceTable = "source_table"
        case strategy
        case schemaHash = "schema_hash"
        case classification
        case classificationReason = "classification_reason"
        case status
        case actionVersion = "action_version"
        case claimedBy = "claimed_by"
        case claimedAt = "claimed_at"
        case decidedBy = "decided_by"
        case decidedAt = "decided_at"
        case reason
        case stagedRowCount = "staged_row_count"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}

/// `GET /edge/schema-reviews/{id}`: the review, its column diff and the suggested actions.
public struct SchemaReviewDetail: Codable, Sendable, Hashable {
    public var review: SchemaReview
    /// The reviewed schema; nil when the device never sent `schema_columns` for it.
    public var columns: [SchemaColumn]?
    public var previousSchemaHash: String?
    public var diff: [ColumnDiff]
    public var suggestedActions: [ColumnAction]
    public var stagedSample: [StagedRow]

    public init(
        review: SchemaReview,
        columns: [SchemaColumn]?,
        previousSchemaHash: String?,
        diff: [ColumnDiff],
        suggestedActions: [ColumnAction],
        stagedSample: [StagedRow] = []
    ) {
        self.review = review
        self.columns = columns
        self.previousSchemaHash = previousSchemaHash
        self.diff = diff
        self.suggestedActions = suggestedActions
        self.stagedSample = stagedSample
    }

    enum CodingKeys: String, CodingKey {
        case review, columns
        case previousSchemaHash = "previous_schema_hash"
        case diff
        case suggestedActions = "suggested_actions"
        case stagedSample = "staged_sample"
    }
}

/// A schema hash known to the coalescing registry at a scope (project or fleet).
public struct RegistryEntry: Codable, Sendable, Hashable, Identifiable {
    public var id: String
    public var projectID: String
    public var scope: ReviewScope
    public var fleetID: String?
    public var sourceTable: String
    public var schemaHash: String
    public var columns: [SchemaColumn]?
    public var decision: SchemaVersion.Decision
    public var reviewID: String?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(
        id: String,
        projectID: String,
        scope: ReviewScope,
        fleetID: String?,
        sourceTable: String,
        schemaHash: String,
        columns: [SchemaColumn]?,
        decision: SchemaVersion.Decision,
        reviewID: String?,
        createdAt: Timestamp,
        updatedAt: Timestamp
    ) {
        self.id = id
        self.projectID = projectID
        self.scope = scope
        self.fleetID = fleetID
        self.sourceTable = sourceTable
        self.schemaHash = schemaHash
        self.columns = columns
        self.decision = decision
        self.reviewID = reviewID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id
        case projectID = "project_id"
        case scope
        case fleetID = "fleet_id"
        case sourceTable = "source_table"
        case schemaHash = "schema_hash"
        case columns, decision
        case reviewID = "review_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}

/// A mirror table shared by every device of a scope (registry coalescing).
public struct CoalescedMirror: Codable, Sendable, Hashable, Identifiable {
    public var id: String
    public var projectID: String
    public var scope: ReviewScope
    public var fleetID: String?
    public var sourceTable: String
    public var mirrorTable: String
    public var createdAt: Timestamp

    public init(
        id: String,
        projectID: String,
        scope: ReviewScope,
        fleetID: String?,
        sourceTable: String,
        mirrorTable: String,
        createdAt: Timestamp
    ) {
        self.id = id
        self.projectID = projectID
        self.scope = scope
        self.fleetID = fleetID
        self.sourceTable = sourceTable
        self.mirrorTable = mirrorTable
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id
        case projectID = "project_id"
        case scope
        case fleetID = "fleet_id"
        case sourceTable = "source_table"
        case mirrorTable = "mirror_table"
        case createdAt = "created_at"
    }
}

/// An API token as listed (the secret itself is shown only when created).
public struct APIToken: Codable, Sendable, Hashable, Identifiable {
    public var id: String
    public var name: String
    public var scopes: [String]
    /// Present only in the response that created it.
    public var token: String?
    public var createdAt: Timestamp
    public var revokedAt: Timestamp?

    public init(
        id: String,
        name: String,
        scopes: [String],
        token: String? = nil,
        createdAt: Timestamp,
        revokedAt: Timestamp? = nil
    ) {
        self.id = id
        self.name = name
        self.scopes = scopes
        self.token = token
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, scopes, token
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
    }
}

/// `POST /tokens`.
public struct CreateTokenRequest: Codable, Sendable, Hashable {
    public var name: String
    public var scopes: [String]

    public init(name: String, scopes: [String]) {
        self.name = name
        self.scopes = scopes
    }
}

/// `POST /data-points`.
public struct CreateDataPointRequest: Codable, Sendable, Hashable {
    public var deviceID: String
    public var name: String
    public var unit: String?

    public init(deviceID: String, name: String, unit: String? = nil) {
        self.deviceID = deviceID
        self.name = name
        self.unit = unit
    }

    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id"
        case name, unit
    }
}

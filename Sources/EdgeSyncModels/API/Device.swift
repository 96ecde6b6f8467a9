/// A registered edge device. `name` is its MQTT client id and topic level.
public struct Device: Codable, Sendable, Hashable, Identifiable {
    public var id: String
    public var projectID: String
    public var fleetID: String
    public var name: String
    public var connected: Bool
    public var lastSeenAt: Timestamp?
    /// Credential kinds issued so far: `password`, `certificate`.
    public var credentialKinds: [CredentialKind]
    public var createdAt: Timestamp

    public init(
        id: String,
        projectID: String,
        fleetID: String,
        name: String,
        connected: Bool = false,
        lastSeenAt: Timestamp? = nil,
        credentialKinds: [CredentialKind] = [],
        createdAt: Timestamp
    ) {
        self.id = id
        self.projectID = projectID
        self.fleetID = fleetID
        self.name = name
        self.connected = connected
        self.lastSeenAt = lastSeenAt
        self.credentialKinds = credentialKinds
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id
        case projectID = "project_id"
        case fleetID = "fleet_id"
        case name, connected
        case lastSeenAt = "last_seen_at"
        case credentialKinds = "credential_kinds"
        case createdAt = "created_at"
    }
}

public enum CredentialKind: String, Sendable, Hashable, Codable, CaseIterable {
    case password
    case certificate
}

/// `POST /devices`.
public struct CreateDeviceRequest: Codable, Sendable, Hashable {
    public var name: String
    public var fleetID: String?

    public init(name: String, fleetID: String? = nil) {
        self.name = name
        self.fleetID = fleetID
    }

    enum CodingKeys: String, CodingKey {
        case name
        case fleetID = "fleet_id"
    }
}

/// `POST /devices/{id}/credentials` response: the secret is shown once and stored only hashed.
public struct IssuedCredentials: Codable, Sendable, Hashable {
    public var kind: CredentialKind
    public var username: String?
    public var password: String?
    public var certificatePEM: String?
    public var privateKeyPEM: String?
    public var caCertificatePEM: String?

    public init(
        kind: CredentialKind,
        username: String? = nil,
        password: String? = nil,
        certificatePEM: String? = nil,
        privateKeyPEM: String? = nil,
        caCertificatePEM: String? = nil
    ) {
        self.kind = kind
        self.username = username
        self.password = password
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
        self.caCertificatePEM = caCertificatePEM
    }

    enum CodingKeys: String, CodingKey {
        case kind, username, password
        case certificatePEM = "certificate_pem"
        case privateKeyPEM = "private_key_pem"
        case caCertificatePEM = "ca_certificate_pem"
    }
}

/// A project: the tenancy unit whose `topic_slug` starts every device's root topic.
public struct Project: Codable, Sendable, Hashable, Identifiable {
    public var id: String
    public var orgID: String
    public var name: String
    public var topicSlug: String
    public var createdAt: Timestamp

    public init(id: String, orgID: String, name: String, topicSlug: String, createdAt: Timestamp) {
        self.id = id
        self.orgID = orgID
        self.name = name
        self.topicSlug = topicSlug
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id
        case orgID = "org_id"
        case name
        case topicSlug = "topic_slug"
        case createdAt = "created_at"
    }
}

/// A device data point: a named telemetry series that `map` actions feed.
public struct DataPoint: Codable, Sendable, Hashable, Identifiable {
    public var id: String
    public var deviceID: String
    /// The device's name, so that two devices' points of the same name can be told apart.
    public var deviceName: String?
    public var name: String
    public var unit: String?
    public var createdAt: Timestamp

    public init(
        id: String,
        deviceID: String,
        deviceName: String? = nil,
        name: String,
        unit: String? = nil,
        createdAt: Timestamp
    ) {
        self.id = id
        self.deviceID = deviceID
        self.deviceName = deviceName
        self.name = name
        self.unit = unit
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id
        case deviceID = "device_id"
        case deviceName = "device_name"
        case name, unit
        case createdAt = "created_at"
    }
}

/// A group of devices of a project; a fleet may carry its own policy (else it follows the
/// project's).
public struct Fleet: Codable, Sendable, Hashable, Identifiable {
    public var id: String
    public var projectID: String
    public var name: String
    public var deviceCount: Int
    /// Whether `PATCH /fleets/{id}/edge/policy` gave it a policy of its own.
    public var hasOwnPolicy: Bool
    public var createdAt: Timestamp

    public init(id: String, projectID: String, name: String, deviceCount: Int, hasOwnPolicy: Bool, createdAt: Timestamp)
    {
        self.id = id
        self.projectID = projectID
        self.name = name
        self.deviceCount = deviceCount
        self.hasOwnPolicy = hasOwnPolicy
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id
        case projectID = "project_id"
        case name
        case deviceCount = "device_count"
        case hasOwnPolicy = "has_own_policy"
        case createdAt = "created_at"
    }
}

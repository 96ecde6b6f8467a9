import EdgeSyncModels

/// The defaults every store has.
public struct Tenancy: Sendable, Hashable {
    public var orgID: String
    public var project: Project
    public var fleetID: String
}

/// A device as the transport knows it: enough to authenticate and route.
public struct DeviceIdentity: Sendable, Hashable {
    public var id: String
    public var name: String
    public var projectID: String
    public var fleetID: String
    public var topicSlug: String

    public var rootTopic: String { TopicLayout(topicSlug: topicSlug).root(deviceName: name) }
}

/// What an authenticated client may publish and subscribe to.
public protocol MQTTTopicACL: Sendable {
    func canPublish(_ principal: MQTTPrincipal, topic: String) -> Bool
    func canSubscribe(_ principal: MQTTPrincipal, filter: String) -> Bool
}

/// The device ACL of the wire protocol: publish only the listed suffixes under the device's own
/// root, subscribe only to the listed suffixes under it, as exact topics (no wildcards), so
/// nothing a device sends or asks for can touch another device's topics.
public struct DeviceTopicACL: MQTTTopicACL {
    public var publishSuffixes: Set<String>
    public var subscribeSuffixes: Set<String>

    public init(publishSuffixes: Set<String>, subscribeSuffixes: Set<String>) {
        self.publishSuffixes = publishSuffixes
        self.subscribeSuffixes = subscribeSuffixes
    }

    public func canPublish(_ principal: MQTTPrincipal, topic: String) -> Bool {
        Self.suffix(of: topic, under: principal.rootTopic).map(publishSuffixes.contains) ?? false
    }

    public func canSubscribe(_ principal: MQTTPrincipal, filter: String) -> Bool {
        Self.suffix(of: filter, under: principal.rootTopic).map(subscribeSuffixes.contains) ?? false
    }

    static func suffix(of topic: String, under root: String) -> String? {
        let prefix = root + "/"
        guard topic.hasPrefix(prefix) else { return nil }
        return String(topic.dropFirst(prefix.count))
    }
}

/// What a device publishes to, under its root topic (docs/spec/wire-protocol.md, "Topics").
public enum UplinkTopic: String, Sendable, Hashable, CaseIterable, Codable {
    case rowBatch = "sync/rows/batch"
    case telemetryBatch = "sync/telemetry/batch"
    case schemaObservation = "sync/schema/observe"
    case ingestAck = "sync/ingest/ack"
    case ingestRequest = "sync/ingest/request"
}

/// The topic layout of one project: root `{topic_slug}/{device_name}`, or `/{device_name}` when
/// the project has no slug (leading slash, empty first level).
public struct TopicLayout: Sendable, Hashable {
    /// The only downlink suffix: controls from the server.
    public static let controlSuffix = "sync/ingest/control"

    public var topicSlug: String

    public init(topicSlug: String) {
        self.topicSlug = topicSlug
    }

    public func root(deviceName: String) -> String {
        topicSlug + "/" + deviceName
    }

    public func topic(deviceName: String, uplink: UplinkTopic) -> String {
        root(deviceName: deviceName) + "/" + uplink.rawValue
    }

    public func controlTopic(deviceName: String) -> String {
        root(deviceName: deviceName) + "/" + Self.controlSuffix
    }

    /// A topic split into its parts. `suffix` is one of the six protocol suffixes.
    public struct ParsedTopic: Sendable, Hashable {
        public var topicSlug: String
        public var deviceName: String
        public var suffix: String

        public var root: String { topicSlug + "/" + deviceName }
        public var uplink: UplinkTopic? { UplinkTopic(rawValue: suffix) }
        public var isControl: Bool { suffix == TopicLayout.controlSuffix }
    }

    /// Splits `{slug}/{device}/{suffix}`; nil when the suffix is not a protocol suffix or the
    /// device level is not a valid device name.
    public static func parse(_ topic: String) -> ParsedTopic? {
        let suffixes = UplinkTopic.allCases.map(\.rawValue) + [controlSuffix]
        guard let suffix = suffixes.first(where: { topic.hasSuffix("/" + $0) }) else { return nil }
        let root = topic.dropLast(suffix.utf8.count + 1)
        guard let slash = root.lastIndex(of: "/") else { return nil }
        let deviceName = String(root[root.index(after: slash)...])
        guard DeviceName.isValid(deviceName) else { return nil }
        return ParsedTopic(topicSlug: String(root[..<slash]), deviceName: deviceName, suffix: suffix)
    }
}

/// Device names are MQTT client ids and topic levels: 1–64 chars of `[A-Za-z0-9._-]`, so never a
/// wildcard, a level separator or NUL.
public enum DeviceName {
    public static let maximumLength = 64

    public static func isValid(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= maximumLength else { return false }
        return name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                true
            default: false
            }
        }
    }
}

/// Topic names and filters (§4.7).
public enum MQTTTopic {
    /// A PUBLISH topic: non-empty, no wildcards, no NUL, at most 65,535 bytes.
    public static func isValidName(_ topic: String) -> Bool {
        !topic.isEmpty && topic.utf8.count <= 65_535 && !topic.utf8.contains { $0 == 0x23 || $0 == 0x2B || $0 == 0 }
    }

    /// A SUBSCRIBE filter: `#` only as the whole last level, `+` only as a whole level.
    public static func isValidFilter(_ filter: String) -> Bool {
        guard !filter.isEmpty, filter.utf8.count <= 65_535, !filter.utf8.contains(0) else { return false }
        let levels = filter.split(separator: "/", omittingEmptySubsequences: false)
        for (index, level) in levels.enumerated() {
            if level.contains("#"), level != "#" || index != levels.count - 1 { return false }
            if level.contains("+"), level != "+" { return false }
        }
        return true
    }

    /// Whether `filter` matches `topic`. Topics starting with `$` are not matched by a filter
    /// whose first level is a wildcard (§4.7.2).
    public static func matches(filter: String, topic: String) -> Bool {
        if topic.hasPrefix("$"), filter.hasPrefix("+") || filter.hasPrefix("#") { return false }
        let filterLevels = filter.split(separator: "/", omittingEmptySubsequences: false)
        let topicLevels = topic.split(separator: "/", omittingEmptySubsequences: false)
        var index = 0
        while index < filterLevels.count {
            let level = filterLevels[index]
            if level == "#" { return true }
            guard index < topicLevels.count else { return false }
            if level != "+", level != topicLevels[index] { return false }
            index += 1
        }
        return index == topicLevels.count
    }
}

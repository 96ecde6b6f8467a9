import ArgumentParser
import EdgeSyncModels
import Logging

/// How `edge-agent run` writes its log lines (`--log-format`).
enum AgentLogFormat: String, Sendable, ExpressibleByArgument {
    /// `2026-12-02T23:01:49.123Z warning connect_refused table=… message`: one line, key=value.
    case text
    /// One JSON object per line: `ts`, `level`, `event`, `message` and the fields.
    case json
}

/// The agent's swift-log handler: one line per event, with its time, level, event name
/// (`event` metadata) and fields, written unbuffered with write(2) (a line shows when it
/// happens, and a full disk or closed stderr never stops the agent).
struct AgentLogHandler: LogHandler {
    var format: AgentLogFormat
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var write: @Sendable (String) -> Void = { StandardError.write($0) }
    var now: @Sendable () -> Timestamp = { .now }

    init(format: AgentLogFormat) {
        self.format = format
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let name = fields.removeValue(forKey: "event").map { "\($0)" } ?? "log"
        write(Self.line(format, time: now(), level: event.level, event: name, message: "\(event.message)", fields))
    }

    static func line(
        _ format: AgentLogFormat,
        time: Timestamp,
        level: Logger.Level,
        event: String,
        message: String,
        _ fields: Logger.Metadata
    ) -> String {
        let sorted = fields.sorted { $0.key < $1.key }.map { ($0.key, "\($0.value)") }
        switch format {
        case .text:
            let pairs = sorted.map { " \($0)=\(quoted($1))" }.joined()
            return "\(time) \(level) \(event)\(pairs): \(message)"
        case .json:
            var object: JSONObject = [
                "ts": .string(time.description), "level": .string(level.rawValue), "event": .string(event),
                "message": .string(message),
            ]
            for (key, value) in sorted where object[key] == nil { object[key] = .string(value) }
            return CanonicalJSON.string(of: .object(object))
        }
    }

    /// A value as key=value keeps it: quoted when it has a space, a quote or an equals sign.
    private static func quoted(_ value: String) -> String {
        guard value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) else { return value }
        return CanonicalJSON.string(of: .string(value))
    }
}

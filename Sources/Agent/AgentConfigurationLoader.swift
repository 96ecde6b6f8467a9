#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reads the YAML file (keys compatible with the reference agent's client file) and the
/// environment. Unknown keys are errors: a typo must not silently fall back to a default.
public struct AgentConfigurationLoader {
    public var environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// From `yaml` when given, else from the `OMEGA_*` variables alone.
    public func load(yaml: String?) throws(AgentConfigurationError) -> AgentConfiguration {
        var node = Node(path: "", value: [String: Any]())
        if let yaml {
            do {
                guard let parsed = try AgentYAML.parse(yaml) else { return try load(yaml: nil) }
                node = Node(path: "", value: parsed)
            } catch {
                throw AgentConfigurationError(key: "(file)", message: "not valid YAML: \(error)")
            }
        }
        let root = try node.mapping(allowed: ["connection", "sqlite-replication", "metrics"])
        let connection = try root.child("connection").mapping(allowed: [
            "server_url", "server_url_env", "device_id", "device_id_env", "root_topic", "root_topic_env", "mqtt",
        ])
        let mqtt = try connection.child("mqtt").mapping(allowed: [
            "keep_alive", "clean_session", "tls", "username", "username_env", "password", "password_env", "compression",
        ])
        let tls = try mqtt.child("tls").mapping(allowed: [
            "ca_cert_path", "ca_cert_path_env", "client_cert_path", "client_cert_path_env", "client_key_path",
            "client_key_path_env",
        ])
        let replication = try root.child("sqlite-replication").mapping(allowed: [
            "source_db_path", "source_db_path_env", "state_db_path", "state_db_path_env", "flush_interval",
            "local_retention_bytes",
            "min_free_disk", "snapshot_on_first_run", "snapshot_inline_limit", "table_strategies",
        ])
        let metrics = try root.child("metrics").mapping(allowed: [
            "textfile", "textfile_env", "listen", "listen_env", "interval",
        ])
        var configuration = AgentConfiguration()
        configuration.metricsTextfile = try value(metrics, "textfile", defaultEnv: "OMEGA_METRICS_TEXTFILE")
        if let listen = try value(metrics, "listen", defaultEnv: "OMEGA_METRICS_LISTEN") {
            guard let address = AgentMetricsAddress(listen) else {
                throw AgentConfigurationError(
                    key: "metrics.listen",
                    message: "\(listen) is not host:port (127.0.0.1:9464, [::1]:9464)"
                )
            }
            configuration.metricsListen = address
        }
        if let interval = try metrics.child("interval").duration() { configuration.metricsInterval = interval }
        configuration.serverURL = try value(connection, "server_url", defaultEnv: "OMEGA_MQTT_BROKER_URL")
        configuration.deviceID = try value(connection, "device_id", defaultEnv: "OMEGA_DEVICE_ID")
        configuration.rootTopic = try value(connection, "root_topic", defaultEnv: "OMEGA_ROOT_TOPIC")
        configuration.username = try value(mqtt, "username", defaultEnv: "OMEGA_MQTT_USERNAME")
        configuration.password = try value(mqtt, "password", defaultEnv: "OMEGA_MQTT_PASSWORD")
        configuration.caCertificatePath = try value(tls, "ca_cert_path", defaultEnv: "OMEGA_TLS_CA_PATH")
        configuration.clientCertificatePath = try value(tls, "client_cert_path", defaultEnv: "OMEGA_TLS_CERT_PATH")
        configuration.clientKeyPath = try value(tls, "client_key_path", defaultEnv: "OMEGA_TLS_KEY_PATH")
        configuration.sourceDatabasePath = try value(replication, "source_db_path", defaultEnv: "OMEGA_SOURCE_DB_PATH")
        configuration.stateDatabasePath = try value(replication, "state_db_path", defaultEnv: "OMEGA_STATE_DB_PATH")
        if let keepAlive = try mqtt.child("keep_alive").duration() { configuration.keepAlive = keepAlive }
        if let clean = try mqtt.child("clean_session").bool() { configuration.cleanSession = clean }
        switch try mqtt.child("compression").string() {
        case nil, "zstd": break
        case "none": configuration.compression = false
        case let other?:
            throw AgentConfigurationError(key: "connection.mqtt.compression", message: "\(other) is not zstd or none")
        }
        if let interval = try replication.child("flush_interval").duration() { configuration.flushInterval = interval }
        if let bytes = try replication.child("local_retention_bytes").byteCount() {
            configuration.localRetentionBytes = bytes
        }
        if let bytes = try replication.child("min_free_disk").byteCount() {
            configuration.minimumFreeDiskBytes = bytes
        }
        if let bytes = try replication.child("snapshot_inline_limit").byteCount() {
            configuration.snapshotInlineLimit = bytes
        }
        if let snapshot = try replication.child("snapshot_on_first_run").bool() {
            configuration.snapshotOnFirstRun = snapshot
        }
        let strategies = replication.child("table_strategies")
        for (table, entry) in try strategies.entries() {
            let fields = try entry.mapping(allowed: ["strategy", "ts_column", "include_columns"])
            switch try fields.child("strategy").string() ?? "rows" {
            case "rows": configuration.tableStrategies[table] = .rows
            case "ignore": configuration.tableStrategies[table] = .ignore
            case "telemetry":
                guard let ts = try fields.child("ts_column").string() else {
                    throw AgentConfigurationError(
                        key: fields.path + ".ts_column",
                        message: "a telemetry table needs ts_column"
                    )
                }
                configuration.tableStrategies[table] = .telemetry(
                    tsColumn: ts,
                    includeColumns: try fields.child("include_columns").strings()
                )
            case let other:
                throw AgentConfigurationError(
                    key: fields.path + ".strategy",
                    message: "\(other) is not rows, telemetry or ignore"
                )
            }
        }
        return configuration
    }

    /// A key's literal value, else the variable its `_env` twin names (default `defaultEnv`).
    private func value(_ node: Node, _ key: String, defaultEnv: String) throws(AgentConfigurationError) -> String? {
        if let literal = try node.child(key).string() { return literal }
        let variable = try node.child(key + "_env").string() ?? defaultEnv
        return environment[variable].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A position in the YAML document, for typed reads that name the key on failure.
    struct Node {
        var path: String
        var value: Any?

        /// A key without a value (`key:` or `key: ~`) reads as absent: its default applies.
        func child(_ key: String) -> Node {
            let value = (value as? [String: Any])?[key]
            return Node(path: path.isEmpty ? key : path + "." + key, value: value is AgentYAML.Null ? nil : value)
        }

        func mapping(allowed: Set<String>) throws(AgentConfigurationError) -> Node {
            guard let value else { return Node(path: path, value: [String: Any]()) }
            guard let map = value as? [String: Any] else {
                throw AgentConfigurationError(key: path.isEmpty ? "(file)" : path, message: "expected a mapping")
            }
            if let unknown = map.keys.sorted().first(where: { !allowed.contains($0) }) {
                throw AgentConfigurationError(
                    key: path.isEmpty ? unknown : path + "." + unknown,
                    message: "unknown key"
                )
            }
            return self
        }

        func entries() throws(AgentConfigurationError) -> [(String, Node)] {
            guard let value else { return [] }
            guard let map = value as? [String: Any] else {
                throw AgentConfigurationError(key: path, message: "expected a mapping of table names")
            }
            return map.keys.sorted().map { ($0, child($0)) }
        }

        func string() throws(AgentConfigurationError) -> String? {
            switch value {
            case nil: return nil
            case let text as String: return text
            case let number as Int: return String(number)
            default: throw AgentConfigurationError(key: path, message: "expected a string")
            }
        }

        func strings() throws(AgentConfigurationError) -> [String]? {
            guard let value else { return nil }
            guard let list = value as? [Any], list.allSatisfy({ $0 is String }) else {
                throw AgentConfigurationError(key: path, message: "expected a list of column names")
            }
            return list.compactMap { $0 as? String }
        }

        func bool() throws(AgentConfigurationError) -> Bool? {
            guard let value else { return nil }
            guard let flag = value as? Bool else {
                throw AgentConfigurationError(key: path, message: "expected true or false")
            }
            return flag
        }

        /// `5s`, `500ms`, `2m`, `1h`, or a number of seconds.
        func duration() throws(AgentConfigurationError) -> Duration? {
            guard let text = try string() else { return nil }
            let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
            // A year at most: anything longer is a typo, and would not fit the clock's integers.
            func milliseconds(_ number: Double, _ scale: Double) -> Duration? {
                let value = number * scale * 1000
                return value > 0 && value <= 365 * 86_400_000 ? .milliseconds(Int64(value)) : nil
            }
            for (suffix, scale) in units where text.hasSuffix(suffix) {
                if let number = Double(text.dropLast(suffix.count)), let duration = milliseconds(number, scale) {
                    return duration
                }
            }
            if let seconds = Double(text), let duration = milliseconds(seconds, 1) { return duration }
            throw AgentConfigurationError(
                key: path,
                message: "\(text) is not a duration like 5s, 500ms or 2m (more than 0, at most a year)"
            )
        }

        /// `256MiB`, `64MB`, `1GiB`, `512KiB`, or a number of bytes.
        func byteCount() throws(AgentConfigurationError) -> Int64? {
            guard let text = try string() else { return nil }
            let units: [(String, Int64)] = [
                ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1000), ("MB", 1_000_000),
                ("GB", 1_000_000_000), ("B", 1),
            ]
            for (suffix, scale) in units where text.hasSuffix(suffix) {
                if let number = Int64(String(text.dropLast(suffix.count)).trimmingSpaces()), number > 0 {
                    let (bytes, overflow) = number.multipliedReportingOverflow(by: scale)
                    guard !overflow else {
                        throw AgentConfigurationError(key: path, message: "\(text) is larger than any disk")
                    }
                    return bytes
                }
            }
            if let number = Int64(text), number > 0 { return number }
            throw AgentConfigurationError(key: path, message: "\(text) is not a size like 256MiB")
        }
    }
}

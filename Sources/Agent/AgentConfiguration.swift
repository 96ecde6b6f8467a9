import EdgeSyncModels
import MQTT

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A table's capture strategy (docs/spec/agent.md, `table_strategies`).
public enum TableStrategy: Sendable, Hashable {
    case rows
    case telemetry(tsColumn: String, includeColumns: [String]?)
    case ignore

    var name: String {
        switch self {
        case .rows: "rows"
        case .telemetry: "telemetry"
        case .ignore: "ignore"
        }
    }
}

/// Everything the agent needs, from the YAML file and/or the `OMEGA_*` environment (docs/spec/agent.md,
/// "Configuration"). Defaults are documented per field.
public struct AgentConfiguration: Sendable, Hashable {
    /// `mqtt://host:1883` or `mqtts://host:8883` (`ssl://` accepted).
    public var serverURL: String?
    /// The device name: the MQTT client id and the topic segment.
    public var deviceID: String?
    /// Default `dev/{device_id}` (the embedded server's default project slug).
    public var rootTopic: String?
    public var username: String?
    public var password: String?
    public var caCertificatePath: String?
    public var clientCertificatePath: String?
    public var clientKeyPath: String?
    /// Default 30 s.
    public var keepAlive: Duration = .seconds(30)
    /// Default false (queued controls survive a disconnect).
    public var cleanSession = false
    /// Whether batches go zstd-compressed to a server that accepts it (`mqtt.compression: zstd`,
    /// the default) or always as JSON (`none`: a device short of CPU).
    public var compression = true
    public var sourceDatabasePath: String?
    /// Default: next to the source database, `<source>.edgesync-state`.
    public var stateDatabasePath: String?
    /// Default 5 s.
    public var flushInterval: Duration = .seconds(5)
    /// The journals of all tables together, at most (approximately): past it a rows table's
    /// journal is rebuilt by a snapshot, then telemetry drops its oldest samples (each reported).
    /// Default 256 MiB.
    public var localRetentionBytes: Int64 = 256 << 20
    /// Free space the agent leaves on the database's filesystem: below it, journals give way as
    /// for `localRetentionBytes`, so the application's own writes keep room. Default 64 MiB.
    public var minimumFreeDiskBytes: Int64 = 64 << 20
    /// Default false.
    public var snapshotOnFirstRun = false
    /// Default 64 MiB.
    public var snapshotInlineLimit: Int64 = 64 << 20
    /// Tables not named here are `rows`.
    public var tableStrategies: [String: TableStrategy] = [:]
    /// Where `run` writes its metrics for node_exporter's textfile collector (a `.prom` file in
    /// the collector's directory); none by default.
    public var metricsTextfile: String?
    /// Where `run` serves its metrics over HTTP (`GET /metrics`); none by default.
    public var metricsListen: AgentMetricsAddress?
    /// How often the metrics are computed (the file rewritten, the endpoint's text replaced).
    /// Default 15 s.
    public var metricsInterval: Duration = .seconds(15)

    public init() {}

    public var resolvedRootTopic: String? { rootTopic ?? deviceID.map { "dev/" + $0 } }
    public var resolvedStatePath: String? { stateDatabasePath ?? sourceDatabasePath.map { $0 + ".edgesync-state" } }

    public func strategy(of table: String) -> TableStrategy { tableStrategies[table] ?? .rows }

    /// Missing settings a `run` needs, and settings that are given but invalid, each naming its key.
    public var problemsForRun: [String] {
        [
            serverURL == nil ? "connection.server_url (or OMEGA_MQTT_BROKER_URL) is required" : serverURLProblem,
            deviceID == nil ? "connection.device_id (or OMEGA_DEVICE_ID) is required" : deviceIDProblem,
            sourceDatabasePath == nil ? "sqlite-replication.source_db_path (or OMEGA_SOURCE_DB_PATH) is required" : nil,
        ].compactMap { $0 }
    }

    /// The connection settings that are given but invalid: what `check` reports without
    /// requiring the settings a `--db` check does without.
    public var connectionProblems: [String] { [serverURLProblem, deviceIDProblem].compactMap { $0 } }

    private var serverURLProblem: String? {
        guard let url = serverURL, MQTTClientConfiguration.parseServerURL(url) == nil else { return nil }
        return "connection.server_url: \(url) is not mqtt://, mqtts:// or ssl://"
    }

    private var deviceIDProblem: String? {
        guard let device = deviceID, !DeviceName.isValid(device) else { return nil }
        return "connection.device_id: \(device) is not 1–64 of A-Z a-z 0-9 . _ -"
    }
}

/// Why the configuration cannot be used; the message names the key. Exit status 2.
public struct AgentConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var key: String
    public var message: String
    public var description: String { "configuration: \(key): \(message)" }
}

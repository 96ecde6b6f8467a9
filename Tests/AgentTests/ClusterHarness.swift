import EdgeSyncModels
import Foundation
import GRDB
import TestSupport

@testable import Server

/// Replicas of the governance server (`platform-tui serve` processes) on one throw-away
/// PostgreSQL cluster, HAProxy in TCP mode in front of their MQTT listeners, and devices: each an
/// application database the test writes to and a real `edge-agent` process beside it.
final class ClusterHarness: @unchecked Sendable {
    struct Replica {
        let id: String
        let directory: URL
        let http: Int
        let mqtt: Int
        var process: ProcessRunner.Running?
    }

    struct DeviceSite {
        let name: String
        let directory: URL
        let app: DatabasePool
        var agent: ProcessRunner.Running?
    }

    let root: URL
    let postgres: PostgresCluster
    let storeURL: String
    /// The test's own look at the store (mirrors, sessions, the ledger).
    let store: SQLGovernanceStore
    private(set) var replicas: [Replica] = []
    private(set) var devices: [DeviceSite] = []
    private(set) var haproxy: ProcessRunner.Running?
    let mqtt: Int

    static let schema = """
        CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT, qty INTEGER, price REAL, note BLOB);
        CREATE TABLE readings (ts TEXT NOT NULL, sensor TEXT, value REAL);
        """
    static let orderColumns = ["id", "item", "qty", "price", "note"]
    static let readingColumns = ["sensor", "value"]

    static var binaries: URL { URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent() }

    init(replicas count: Int, devices deviceCount: Int) async throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("edgesync-cluster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        postgres = try await PostgresCluster.start()
        storeURL = try await postgres.createDatabase(poolSize: 8)
        store = try await StoreLocation(parsing: storeURL).open()
        mqtt = try await freeTestPort()
        for index in 1...count {
            replicas.append(
                Replica(
                    id: "r\(index)",
                    directory: root.appendingPathComponent("r\(index)"),
                    http: try await freeTestPort(),
                    mqtt: try await freeTestPort()
                )
            )
            try await startReplica(index - 1)
        }
        haproxy = try await Self.startHAProxy(root: root, port: mqtt, backends: replicas.map(\.mqtt))
        for index in 1...deviceCount {
            let name = String(format: "dev-%02d", index)
            let directory = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let app = try AppDatabase.open(directory.appendingPathComponent("app.db").path)
            try await app.write { try $0.execute(sql: Self.schema) }
            devices.append(DeviceSite(name: name, directory: directory, app: app))
        }
    }

    /// Starts (or restarts, with its data directory and ports) replica `index`.
    func startReplica(_ index: Int) async throws {
        let replica = replicas[index]
        let process = try ProcessRunner.start(
            Self.binaries.appendingPathComponent("platform-tui").path,
            [
                "serve", "--data-dir", replica.directory.path, "--store", storeURL, "--replica-id", replica.id,
                "--http-port", String(replica.http), "--mqtt-port", String(replica.mqtt), "--dev-open",
            ]
        )
        let deadline = ContinuousClock.now + hangDeadline
        while !process.output().stdout.contains("mqtt: ") {
            guard process.isRunning, ContinuousClock.now < deadline else {
                throw ProcessRunner.Failure.timedOut("platform-tui serve \(replica.id): \(process.output().stderr)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        replicas[index].process = process
    }

    func killReplica(_ index: Int) async {
        await replicas[index].process?.kill9()
    }

    /// HAProxy in TCP mode: round robin over the listeners it finds up (a check every 500 ms), a
    /// connection to one that is down redispatched to another.
    static func startHAProxy(root: URL, port: Int, backends: [Int]) async throws -> ProcessRunner.Running {
        let servers = backends.enumerated().map { "    server r\($0.offset + 1) 127.0.0.1:\($0.element) check" }
        let configuration = """
            global
                maxconn 4096
            defaults
                mode tcp
                timeout connect 2s
                timeout client 10m
                timeout server 10m
                retries 3
                option redispatch
            frontend mqtt
                bind 127.0.0.1:\(port)
                default_backend replicas
            backend replicas
                balance roundrobin
                default-server inter 500ms fall 2 rise 2
            \(servers.joined(separator: "\n"))
            """
        let file = root.appendingPathComponent("haproxy.cfg")
        try (configuration + "\n").write(to: file, atomically: true, encoding: .utf8)
        let process = try ProcessRunner.start("haproxy", ["-f", file.path, "-db"])
        try await MosquittoBroker.waitForPort(port, process: process, name: "haproxy")
        return process
    }

    /// Starts device `index`'s agent, connected through HAProxy.
    func startAgent(_ index: Int) throws {
        let site = devices[index]
        let configuration = site.directory.appendingPathComponent("agent.yaml")
        try """
        connection: {server_url: "mqtt://127.0.0.1:\(mqtt)", device_id: \(site.name)}
        sqlite-replication:
          source_db_path: \(site.directory.appendingPathComponent("app.db").path)
          flush_interval: 200ms
          snapshot_on_first_run: true
          table_strategies: {orders: {strategy: rows}, readings: {strategy: telemetry, ts_column: ts}}
        """.write(to: configuration, atomically: true, encoding: .utf8)
        devices[index].agent = try ProcessRunner.start(
            Self.binaries.appendingPathComponent("edge-agent").path,
            ["run", "--config", configuration.path]
        )
    }

    /// The replica's API, with the admin token every replica shares.
    func api(_ index: Int) throws -> LiveHTTP {
        let token = try String(
            contentsOf: replicas[index].directory.appendingPathComponent("admin.token"),
            encoding: .utf8
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        return LiveHTTP(baseURL: "http://127.0.0.1:\(replicas[index].http)/core/api/v1", token: token)
    }

    /// A read of the store that waits out a database restart.
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLTransaction) throws -> T) async throws -> T {
        let deadline = ContinuousClock.now + hangDeadline
        while true {
            do {
                return try await store.backend.read(body)
            } catch  where ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    func stop() async {
        for device in devices { await device.agent?.stop() }
        await haproxy?.stop()
        for replica in replicas { await replica.process?.stop() }
        await store.close()
        await postgres.stop()
    }
}

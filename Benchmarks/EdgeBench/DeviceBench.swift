import EdgeSyncModels
import Foundation
import GRDB
import Server

/// The agent on a small device: its peak memory while a 1,000,000-row table goes to the server
/// (snapshot, then upload), against the same agent idle; and the application's write latency
/// while that snapshot runs, against the same writes without the agent.
enum DeviceBench {
    static let backlogRows = 1_000_000

    static func run(_ report: BenchReport) async throws {
        guard FileManager.default.isExecutableFile(atPath: AgentBench.binary) else {
            print("device: \(AgentBench.binary) not built; skipped")
            return
        }
        let directory = ServerBench.temporaryDirectory("device")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (server, mqtt) = try await ServerBench.quietServer(in: directory.appendingPathComponent("server"))
        let idle = try await peakOfIdleAgent(directory, mqtt: mqtt)

        let plain = try open(directory.appendingPathComponent("plain.db").path)
        let app = try open(directory.appendingPathComponent("app.db").path)
        for pool in [plain, app] { try await fill(pool, rows: backlogRows) }
        let agent = try start(directory, name: "app", mqtt: mqtt, snapshot: true)
        defer { agent.terminate() }
        try await AgentBench.waitForCapture(app)
        // The application keeps writing while the agent journals the snapshot.
        let during = try await writeLatencies(app, from: backlogRows + 1) {
            try await app.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM __edgesync_catalog WHERE snapshot_after IS NOT NULL")
                    == 0
            }
        }
        let writes = during.count
        var staged: Int64 = 0
        let deadline = ContinuousClock.now + .seconds(600)
        while staged < Int64(backlogRows), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            staged =
                try await server.store.lineages(
                    projectID: server.tenancy.project.id,
                    filter: LineageFilter(),
                    page: PageRequest()
                ).items.first?.stagedRowCount ?? 0
        }
        let peak = peakResidentMiB(agent.processIdentifier)
        agent.terminate()
        agent.waitUntilExit()
        var count = 0
        let without = try await writeLatencies(plain, from: backlogRows + 1) {
            count += 1
            return count > writes
        }
        report.add(
            Figure(
                section: "Device",
                name: "edge-agent peak RSS while a \(backlogRows.formatted())-row table is snapshot and uploaded",
                value: peak,
                unit: "MiB",
                reference: "the same agent idle on an empty table",
                referenceValue: idle,
                higherIsBetter: false,
                note: staged >= Int64(backlogRows) ? "goal: 64 MiB at most" : "only \(staged) rows staged in time"
            )
        )
        report.add(
            Figure(
                section: "Device",
                name: "application write latency p99 (one row per transaction) during that snapshot",
                value: percentile(during, 0.99),
                unit: "ms",
                reference: "the same writes without the agent",
                referenceValue: percentile(without, 0.99),
                higherIsBetter: false,
                note: "\(writes) writes; p50 \(String(format: "%.2f", percentile(during, 0.5))) ms"
            )
        )
        await server.stop()
    }

    /// The agent's peak RSS after a few seconds on an empty table.
    static func peakOfIdleAgent(_ directory: URL, mqtt: String) async throws -> Double {
        let pool = try open(directory.appendingPathComponent("idle.db").path)
        try await pool.write { try $0.execute(sql: AgentBench.schema) }
        let agent = try start(directory, name: "idle", mqtt: mqtt, snapshot: false)
        try await AgentBench.waitForCapture(pool)
        try await Task.sleep(for: .seconds(3))
        let peak = peakResidentMiB(agent.processIdentifier)
        agent.terminate()
        agent.waitUntilExit()
        return peak
    }

    static func open(_ path: String) throws -> DatabasePool {
        var settings = Configuration()
        settings.busyMode = .timeout(10)
        return try DatabasePool(path: path, configuration: settings)
    }

    static func fill(_ pool: DatabasePool, rows: Int) async throws {
        try await pool.write { db in
            try db.execute(sql: AgentBench.schema)
            let statement = try db.makeStatement(sql: "INSERT INTO order_events VALUES (?, ?, ?, ?, ?)")
            for id in 1...rows {
                try statement.execute(arguments: [id, "ord-\(id / 4)", id % 17, Double(id) * 0.25, "note \(id)"])
            }
        }
    }

    static func start(_ directory: URL, name: String, mqtt: String, snapshot: Bool) throws -> Process {
        let config = directory.appendingPathComponent("\(name).yaml")
        try """
        connection: {server_url: "\(mqtt)", device_id: bench-\(name)}
        sqlite-replication:
          source_db_path: \(directory.appendingPathComponent("\(name).db").path)
          flush_interval: 200ms
          snapshot_on_first_run: \(snapshot)
        """.write(to: config, atomically: true, encoding: .utf8)
        let agent = Process()
        agent.executableURL = URL(fileURLWithPath: AgentBench.binary)
        agent.arguments = ["run", "--config", config.path]
        agent.standardOutput = FileHandle.nullDevice
        agent.standardError = FileHandle.nullDevice
        try agent.run()
        return agent
    }

    /// One-row write transactions, 2 ms apart, until `done`; each one's latency in ms.
    static func writeLatencies(
        _ pool: DatabasePool,
        from first: Int,
        until done: () async throws -> Bool
    ) async throws -> [Double] {
        var latencies: [Double] = []
        var id = first
        while try await !done(), latencies.count < 20_000 {
            let start = ContinuousClock.now
            let row = id
            try await pool.write { db in
                try db.execute(sql: "INSERT INTO order_events VALUES (?, 'late', 1, 1.5, NULL)", arguments: [row])
            }
            latencies.append(EdgeBench.seconds(ContinuousClock.now - start) * 1_000)
            id += 1
            try await Task.sleep(for: .milliseconds(2))
        }
        return latencies
    }

    static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
    }

    /// `VmHWM` of a process: its peak resident set, in MiB.
    static func peakResidentMiB(_ pid: Int32) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return 0 }
        let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        return kilobytes / 1_024
    }
}

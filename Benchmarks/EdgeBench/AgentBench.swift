import EdgeSyncModels
import Foundation
import GRDB
import Server

/// Capture overhead (application inserts/s with the agent's triggers vs without) and the agent's
/// sustained publish rate to the embedded server, with the real `edge-agent` process.
enum AgentBench {
    static var binary: String { EdgeBench.sibling("edge-agent").path }

    static let schema =
        "CREATE TABLE order_events (id INTEGER PRIMARY KEY, order_id TEXT NOT NULL, qty INTEGER, price REAL, note TEXT)"

    /// Inserts `rows` in transactions of 100, as an application would; returns rows/s.
    static func insertRate(_ pool: DatabasePool, rows: Int, from first: Int = 1) throws -> Double {
        let start = ContinuousClock.now
        var id = first
        while id < first + rows {
            try pool.write { db in
                let statement = try db.cachedStatement(sql: "INSERT INTO order_events VALUES (?, ?, ?, ?, ?)")
                for _ in 0..<100 {
                    try statement.execute(arguments: [id, "ord-\(id / 4)", id % 17, Double(id) * 0.25, "note \(id)"])
                    id += 1
                }
            }
        }
        return Double(rows) / EdgeBench.seconds(ContinuousClock.now - start)
    }

    /// Alternating runs of the two trigger figures: a pair of runs of 100,000 rows takes under a
    /// second and its ratio moves by a tenth and more, so with three runs one slow moment of the
    /// machine could decide a ratio whose goal is a few hundredths away.
    static let triggerRuns = 9

    /// The triggers are in place once the catalog lists a table.
    static func waitForCapture(_ pool: DatabasePool) async throws {
        while try await pool.read({ db in
            try !db.tableExists("__edgesync_catalog")
                || (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM __edgesync_catalog") ?? 0) == 0
        }) {
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    static func run(_ report: BenchReport, ceiling: Double) async throws {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            print("agent: \(binary) not built; skipped")
            return
        }
        let directory = ServerBench.temporaryDirectory("agent")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (server, mqtt) = try await ServerBench.quietServer(in: directory.appendingPathComponent("server"))
        // An application that shares its database waits for short locks instead of failing.
        var settings = Configuration()
        settings.busyMode = .timeout(10)
        let plain = try DatabasePool(path: directory.appendingPathComponent("plain.db").path, configuration: settings)
        let alone = try DatabasePool(path: directory.appendingPathComponent("alone.db").path, configuration: settings)
        for pool in [plain, alone] { try await pool.write { try $0.execute(sql: schema) } }
        func startAgent(device: String, database: String) throws -> Process {
            let config = directory.appendingPathComponent("\(device).yaml")
            try """
            connection: {server_url: "\(mqtt)", device_id: \(device)}
            sqlite-replication: {source_db_path: \(directory.appendingPathComponent(database).path), flush_interval: 200ms}
            """.write(to: config, atomically: true, encoding: .utf8)
            let agent = Process()
            agent.executableURL = URL(fileURLWithPath: binary)
            agent.arguments = ["run", "--config", config.path]
            agent.standardOutput = FileHandle.nullDevice
            // Its stop (SIGTERM mid-publish) is reported on stderr; not part of the figures.
            agent.standardError = FileHandle.nullDevice
            try agent.run()
            return agent
        }
        // The triggers' own cost: an agent installs them, then stops, so that only the triggers
        // run in the application's transactions.
        let installer = try startAgent(device: "bench-triggers", database: "alone.db")
        try await waitForCapture(alone)
        installer.terminate()
        installer.waitUntilExit()
        let rows = 100_000
        await EdgeBench.profilePoint("capture")
        let (with, without) = try await EdgeBench.alternating(
            triggerRuns,
            { run in try insertRate(alone, rows: rows, from: 1 + run * rows) },
            { run in try insertRate(plain, rows: rows, from: 1 + run * rows) }
        )
        report.add(
            Figure(
                section: "Capture",
                name: "application inserts with the agent's triggers (100 per transaction)",
                value: with,
                unit: "rows/s",
                reference: "the same table without triggers",
                referenceValue: without,
                note:
                    "the triggers alone (the agent installed them, then stopped); new highest keys, which the agent's sweep journals later, not the triggers; medians of \(triggerRuns) alternating runs"
            )
        )
        // What any trigger costs: with one on the table, SQLite opens a statement journal for each
        // INSERT inside a transaction, so that a failing trigger can undo the statement alone.
        let bare = try DatabasePool(path: directory.appendingPathComponent("empty.db").path, configuration: settings)
        try await bare.write {
            try $0.execute(sql: schema)
            try $0.execute(sql: "CREATE TRIGGER does_nothing AFTER INSERT ON order_events BEGIN SELECT 1 WHERE 0; END")
        }
        let (empty, untriggered) = try await EdgeBench.alternating(
            triggerRuns,
            { run in try insertRate(bare, rows: rows, from: 1 + run * rows) },
            { run in try insertRate(plain, rows: rows, from: 1 + (triggerRuns + run) * rows) }
        )
        report.add(
            Figure(
                section: "Capture",
                name: "application inserts with a trigger that does nothing (100 per transaction)",
                value: empty,
                unit: "rows/s",
                reference: "the same table without triggers",
                referenceValue: untriggered,
                note:
                    "the least any trigger-based capture costs on this SQLite: a statement journal for each INSERT; medians of \(triggerRuns) alternating runs"
            )
        )
        // The application's writes while the agent publishes them, then until every row is
        // durably staged; each run a new database and device.
        var publishing: [(insert: Double, staged: Double)] = []
        await EdgeBench.profilePoint("publishing")
        for run in 0..<EdgeBench.runs {
            let database = "app-\(run).db"
            let captured = try DatabasePool(
                path: directory.appendingPathComponent(database).path,
                configuration: settings
            )
            try await captured.write { try $0.execute(sql: schema) }
            let device = "bench-agent-\(run)"
            let agent = try startAgent(device: device, database: database)
            defer { agent.terminate() }
            try await waitForCapture(captured)
            let start = ContinuousClock.now
            let insert = try insertRate(captured, rows: rows)
            var filter = LineageFilter()
            filter.query = device
            var staged: Int64 = 0
            while staged < Int64(rows) {
                try await Task.sleep(for: .milliseconds(5))
                staged =
                    try await server.store.lineages(
                        projectID: server.tenancy.project.id,
                        filter: filter,
                        page: PageRequest()
                    ).items.first?.stagedRowCount ?? 0
            }
            publishing.append((insert, Double(rows) / EdgeBench.seconds(ContinuousClock.now - start)))
            agent.terminate()
            agent.waitUntilExit()
        }
        report.add(
            Figure(
                section: "Capture",
                name: "application inserts with the agent's triggers while the agent publishes them",
                value: publishing.map(\.insert).sorted()[EdgeBench.runs / 2],
                unit: "rows/s",
                reference: "the same table without triggers",
                referenceValue: without,
                note:
                    "the agent and the embedded server share these 2 cores with the application; median of \(EdgeBench.runs) runs"
            )
        )
        report.add(
            Figure(
                section: "Capture",
                name: "edge-agent: journaled rows published until durably staged",
                value: publishing.map(\.staged).sorted()[EdgeBench.runs / 2],
                unit: "rows/s",
                reference: "raw SQLite inserts",
                referenceValue: ceiling,
                note:
                    "\(rows.formatted()) rows, the real agent process and the embedded server; median of \(EdgeBench.runs) runs"
            )
        )
        await server.stop()
        try await AgentWireBench.run(report)
    }
}

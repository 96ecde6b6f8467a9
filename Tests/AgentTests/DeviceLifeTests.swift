import EdgeSyncModels
import Foundation
import GRDB
import TestSupport
import Testing

@testable import Agent
@testable import Server

/// Ordinary device life with the real `edge-agent` process beside an application and a real
/// server: the application's DDL, a replaced database file, a clock that jumps, a full disk.
/// Each ends with the mirror equal to the source table, deletes included.
@Suite("Agent through device life", .serialized)
struct DeviceLifeTests {
    /// Drop and recreate the table with the same schema: capture goes on (a new epoch with a
    /// snapshot), also across a restart, and the rows of the old table leave the mirror.
    @Test func aTableDroppedAndRecreatedKeepsBeingCaptured() async throws {
        try await Turns.heavyProcesses.run {
            let harness = try await AgentHarness()
            let config = try harness.processConfiguration()
            var agent = try await harness.startProcess(config)
            try await AgentServerTests.write(harness, from: 1, count: 10)
            try await harness.approve("device_state")
            #expect(try await harness.waitForConvergence())
            try await harness.app.write { db in
                try db.execute(sql: "DROP TABLE device_state")
                try db.execute(
                    sql: "CREATE TABLE device_state (id INTEGER PRIMARY KEY, mode TEXT, level REAL, raw BLOB)"
                )
            }
            try await AgentServerTests.write(harness, from: 100, count: 10)
            #expect(try await harness.waitForConvergence(), "the recreated table's rows, and only those")
            await agent.kill9()
            try await AgentServerTests.write(harness, from: 200, count: 10)
            try await harness.app.write { try $0.execute(sql: "DELETE FROM device_state WHERE id < 105") }
            agent = try await harness.startProcess(config)
            #expect(try await harness.waitForConvergence(), "after a restart too")
            await agent.stop()
            await harness.stop()
        }
    }

    /// The database file is replaced by an older copy (a restore from backup) while the agent
    /// runs, then by another while it is stopped: the agent follows the path, and the mirror ends
    /// equal to the file that is there now.
    @Test func aReplacedDatabaseFileIsFollowed() async throws {
        try await Turns.heavyProcesses.run {
            let harness = try await AgentHarness()
            let config = try harness.processConfiguration()
            var agent = try await harness.startProcess(config)
            try await AgentServerTests.write(harness, from: 1, count: 20)
            try await harness.approve("device_state")
            #expect(try await harness.waitForConvergence())
            let backup = harness.directory.appendingPathComponent("backup.db").path
            try await harness.app.writeWithoutTransaction { try $0.execute(sql: "VACUUM INTO ?", arguments: [backup]) }
            try await AgentServerTests.write(harness, from: 21, count: 20)
            try await harness.app.write { try $0.execute(sql: "DELETE FROM device_state WHERE id <= 5") }
            #expect(try await harness.waitForConvergence())
            try await harness.restore(backup)
            try await AgentServerTests.write(harness, from: 300, count: 5)
            #expect(try await harness.waitForConvergence(), "the restored file's rows")

            await agent.stop()
            try await harness.app.writeWithoutTransaction {
                try $0.execute(sql: "VACUUM INTO ?", arguments: [backup + "2"])
            }
            try await AgentServerTests.write(harness, from: 400, count: 5)
            try await harness.restore(backup + "2")
            try await harness.app.write {
                try $0.execute(sql: "UPDATE device_state SET mode = 'restored' WHERE id > 300")
            }
            agent = try await harness.startProcess(config)
            #expect(try await harness.waitForConvergence(), "a file replaced while the agent was stopped")
            await agent.stop()
            await harness.stop()
        }
    }

    /// Rows written right after an `ADD COLUMN`, before the agent's next poll, carry the new
    /// column into the mirror once the new schema is approved.
    @Test func rowsWrittenRightAfterAnAddedColumnKeepItsValues() async throws {
        let harness = try await AgentHarness()
        let (_, task) = try await harness.startAgent()
        try await AgentServerTests.write(harness, from: 1, count: 3)
        try await harness.approve("device_state")
        #expect(try await harness.waitForConvergence())
        try await harness.app.write { db in
            try db.execute(sql: "ALTER TABLE device_state ADD COLUMN zone TEXT")
            for id in 10..<23 {
                try db.execute(
                    sql: "INSERT INTO device_state VALUES (?, 'z', 1, NULL, ?)",
                    arguments: [id, "zone-\(id)"]
                )
            }
        }
        try await harness.approve("device_state")
        let lineage = try #require(try await harness.lineage("device_state"))
        let zones = try await harness.waitFor { () -> [JSONValue]? in
            let rows = try await harness.store.mirrorRows(
                lineageID: lineage.id,
                page: PageRequest(limit: 100),
                order: nil,
                query: nil
            ).items
            let zoned = rows.filter { ($0["id"]?.integerValue ?? 0) >= 10 }
            return zoned.count == 13 ? zoned.map { $0["zone"] ?? .null } : nil
        }
        #expect(zones == (10..<23).map { .string("zone-\($0)") })
        task.cancel()
        _ = try? await task.value
        await harness.stop()
    }

    /// A sample stamped an hour ahead does not hold back the ones after it (time is data, not a
    /// cursor), and a WITHOUT ROWID telemetry table is captured like any other.
    @Test func telemetryFollowsTheJournalNotTheClock() async throws {
        let harness = try await AgentHarness()
        try await harness.app.write { db in
            try db.execute(
                sql: "CREATE TABLE readings (sensor TEXT, ts TEXT, value REAL, PRIMARY KEY (sensor, ts)) WITHOUT ROWID"
            )
        }
        harness.configuration.tableStrategies["readings"] = .telemetry(tsColumn: "ts", includeColumns: nil)
        let check = try AgentInspection.check(harness.configuration).first { $0.name == "readings" }
        #expect(check?.problems == [])
        let (_, task) = try await harness.startAgent()
        try await harness.app.write { db in
            try db.execute(sql: "INSERT INTO sensor_timeseries VALUES ('2026-11-25T07:00:00Z', 99, 'C')")
            for second in 0..<10 {
                try db.execute(
                    sql: "INSERT INTO sensor_timeseries VALUES (?, ?, 'C')",
                    arguments: [String(format: "2026-11-25T06:00:%02dZ", second), Double(second)]
                )
                try db.execute(
                    sql: "INSERT INTO readings VALUES ('a', ?, ?)",
                    arguments: [String(format: "2026-11-25T06:00:%02dZ", second), Double(second)]
                )
            }
        }
        for table in ["sensor_timeseries", "readings"] {
            let staged = try await harness.waitFor {
                try await harness.lineage(table)?.stagedRowCount ?? 0 >= 10 ? true : nil
            }
            #expect(staged == true, "\(table)")
        }
        #expect(try await harness.lineage("sensor_timeseries")?.stagedRowCount == 11)
        #expect(try await harness.lineage("readings")?.stagedRowCount == 10)
        task.cancel()
        _ = try? await task.value
        await harness.stop()
    }

    /// With the disk under `min_free_disk`, journals give way (reported) instead of the
    /// application's writes; a later snapshot converges the mirror. A stderr that cannot be
    /// written (`/dev/full`) never stops the agent.
    @Test func journalsGiveWayBeforeTheApplicationDoes() async throws {
        try await Turns.heavyProcesses.run {
            let harness = try await AgentHarness()
            let free = try #require(availableBytes(at: harness.directory.path))
            var config = try harness.processConfiguration(extra: "  min_free_disk: \(free + (1 << 30))B\n")
            var agent = try await harness.startProcess(config, standardError: "/dev/full")
            // The server is away: the journal grows until the disk's floor makes it give way.
            await harness.server.stop()
            try await AgentServerTests.write(harness, from: 1, count: 30)
            let gaveWay = try await harness.waitFor { () -> Bool? in
                try await harness.agentState().reports().contains { $0.message.contains("under min_free_disk") }
                    ? true : nil
            }
            #expect(gaveWay == true)
            try await harness.app.write {
                try $0.execute(sql: "INSERT INTO device_state VALUES (99, 'after', 1, NULL)")
            }
            #expect(agent.isRunning, "a full stderr did not stop the agent")
            await agent.stop()
            try await harness.restartServer()
            config = try harness.processConfiguration()
            agent = try await harness.startProcess(config)
            try await harness.approve("device_state")
            #expect(try await harness.waitForConvergence())
            await agent.stop()
            await harness.stop()
        }
    }

    /// `run` refuses a database that does not exist (it never creates one); `uninstall` refuses
    /// while an agent runs, and works once it has stopped.
    @Test func runAndUninstallRefuseWhatWouldHarmTheApplication() async throws {
        try await Turns.heavyProcesses.run {
            let harness = try await AgentHarness()
            let missing = harness.directory.appendingPathComponent("nowhere.db").path
            let refused = try await ProcessRunner.run(
                AgentKillTests.binary,
                ["run"],
                environment: [
                    "OMEGA_MQTT_BROKER_URL": "mqtt://127.0.0.1:\(harness.mqttPort)", "OMEGA_DEVICE_ID": "pump-7",
                    "OMEGA_SOURCE_DB_PATH": missing,
                ]
            )
            #expect(refused.status == 2 && refused.stderr.contains("does not exist"), "\(refused.stderr)")
            #expect(!FileManager.default.fileExists(atPath: missing))
            let config = try harness.processConfiguration()
            let agent = try await harness.startProcess(config)
            try await AgentServerTests.write(harness, from: 1, count: 2)
            let busy = try await ProcessRunner.run(AgentKillTests.binary, ["uninstall", "--config", config])
            #expect(busy.status == 1 && busy.stderr.contains("is running"), "\(busy.stderr)")
            await agent.stop()
            let done = try await ProcessRunner.run(AgentKillTests.binary, ["uninstall", "--config", config])
            #expect(done.status == 0, "\(done.stderr)")
            let left = try await harness.app.read {
                try Int.fetchOne(
                    $0,
                    sql: "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE '\\_\\_edgesync\\_%' ESCAPE '\\'"
                )
            }
            #expect(left == 0)
            await harness.stop()
        }
    }

    /// Sent journal entries are deleted and, in an `auto_vacuum = INCREMENTAL` database, their
    /// pages go back to the filesystem.
    @Test func theJournalsSpaceIsReclaimedAfterADrain() async throws {
        let harness = try await AgentHarness(createSchema: false)
        try await harness.app.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
            try db.execute(sql: "VACUUM")
            try db.execute(sql: AgentHarness.schema)
        }
        let (_, task) = try await harness.startAgent()
        try await harness.app.write { db in
            for id in 1...20_000 {
                try db.execute(sql: "INSERT INTO device_state VALUES (?, 'x', 1, NULL)", arguments: [id])
            }
        }
        let drained = try await harness.waitFor { () -> Bool? in
            let status = try AgentInspection.status(harness.configuration)
            return status.tables.first { $0.name == "device_state" }?.pendingRows == 0 ? true : nil
        }
        #expect(drained == true)
        let free = try await harness.waitFor { () -> Int? in
            let pages = try await harness.app.read { try Int.fetchOne($0, sql: "PRAGMA freelist_count") } ?? 0
            return pages < Int(EdgeAgent.reclaimPages) ? pages : nil
        }
        #expect(free != nil, "the journal's pages were handed back")
        task.cancel()
        _ = try? await task.value
        await harness.stop()
    }
}

extension AgentHarness {
    /// The `edge-agent` process's configuration file, for this harness's server and database.
    func processConfiguration(extra: String = "") throws -> String {
        let path = directory.appendingPathComponent("agent.yaml").path
        try """
        connection: {server_url: "mqtt://127.0.0.1:\(mqttPort)", device_id: pump-7}
        sqlite-replication:
          source_db_path: \(appPath)
          flush_interval: 100ms
          table_strategies: {sensor_timeseries: {strategy: telemetry, ts_column: ts}}
        \(extra)
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Starts the agent process and waits until its capture is installed: rows the application
    /// writes before that are not captured on a first run (no `snapshot_on_first_run`).
    func startProcess(
        _ config: String,
        standardError: String? = nil,
        environment: [String: String] = [:]
    ) async throws -> ProcessRunner.Running {
        let agent = try ProcessRunner.start(
            AgentKillTests.binary,
            ["run", "--config", config],
            environment: environment,
            standardError: standardError
        )
        let installed = try await waitFor { () -> Bool? in
            try await self.app.read { db in
                try db.tableExists(CaptureCatalog.catalog)
                    && (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(CaptureCatalog.catalog)") ?? 0) >= 2
            } ? true : nil
        }
        try #require(installed == true, "the agent installed no capture: \(agent.output().stderr)")
        return agent
    }

    /// Puts `copy` in place of the application's database, as a restore would: the application
    /// closes it, the file (and its WAL) are replaced, the application opens the new one.
    func restore(_ copy: String) async throws {
        app = try AppDatabase.open(directory.appendingPathComponent("placeholder.db").path)
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: appPath + suffix) }
        #expect(rename(copy, appPath) == 0, "errno \(errno)")
        app = try AppDatabase.open(appPath)
    }
}

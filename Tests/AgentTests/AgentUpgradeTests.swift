import EdgeSyncModels
import Foundation
import GRDB
import TestSupport
import Testing

@testable import Agent
@testable import Server

/// A device upgraded from an older capture format with a backlog in its journal: nothing is lost,
/// nothing is sent twice, and capture goes on in the new format.
@Suite("Agent upgrade from older capture formats", .serialized)
struct AgentUpgradeTests {
    /// The first format as an older agent installed it on `device_state` (id, mode, level, raw):
    /// one journal with the row's JSON, the epochs in `__edgesync_meta`, four triggers.
    static func installFirstFormat(_ db: Database, epoch: String) throws {
        func value(_ row: String, _ column: String) -> String {
            let value = "\(row).\"\(column)\""
            return """
                json_quote('\(column)') || ':' || (CASE typeof(\(value)) WHEN 'null' THEN 'null' WHEN 'integer' THEN CAST(\(value) AS TEXT) \
                WHEN 'real' THEN printf('%!.17g', \(value)) WHEN 'text' THEN json_quote(\(value)) \
                ELSE '{"$hex":"' || hex(\(value)) || '"}' END)
                """
        }
        func object(_ row: String, _ columns: [String]) -> String {
            "('{' || " + columns.map { value(row, $0) }.joined(separator: " || ',' || ") + " || '}')"
        }
        let all = ["id", "level", "mode", "raw"]
        func journal(_ op: String, _ key: String, _ row: String?) -> String {
            """
            INSERT INTO "__edgesync_journal" (table_name, op, pk, row) VALUES ('device_state', '\(op)', \(object(key, ["id"])), \
            \(row.map { object($0, all) } ?? "NULL"));
            """
        }
        try db.execute(
            sql: """
                CREATE TABLE "__edgesync_journal" (
                    commit_seq INTEGER PRIMARY KEY AUTOINCREMENT, table_name TEXT NOT NULL, op TEXT NOT NULL, pk TEXT NOT NULL, row TEXT);
                CREATE INDEX "__edgesync_journal_by_table" ON "__edgesync_journal" (table_name, commit_seq);
                CREATE TABLE "__edgesync_meta" (table_name TEXT PRIMARY KEY, journal_epoch TEXT NOT NULL, schema_hash TEXT NOT NULL);
                INSERT INTO "__edgesync_meta" VALUES ('device_state', '\(epoch)', '\(String(repeating: "0", count: 64))');
                CREATE TRIGGER "__edgesync_device_state_insert" AFTER INSERT ON device_state BEGIN \(journal("insert", "NEW", "NEW")) END;
                CREATE TRIGGER "__edgesync_device_state_update" AFTER UPDATE ON device_state WHEN OLD.id IS NEW.id BEGIN
                \(journal("update", "NEW", "NEW")) END;
                CREATE TRIGGER "__edgesync_device_state_rekey" AFTER UPDATE ON device_state WHEN NOT (OLD.id IS NEW.id) BEGIN
                \(journal("delete", "OLD", nil)) \(journal("insert", "NEW", "NEW")) END;
                CREATE TRIGGER "__edgesync_device_state_delete" AFTER DELETE ON device_state BEGIN \(journal("delete", "OLD", nil)) END;
                """
        )
    }

    /// The older agent's state file: its GRDB migrations, a telemetry cursor after the third
    /// sample, and no rows acknowledged yet.
    static func writeFirstFormatState(_ path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: StateMigrations.migrations[0] + StateMigrations.migrations[1])
            try db.execute(
                sql: """
                    CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                    INSERT INTO grdb_migrations VALUES ('v1'), ('v2-uploads');
                    INSERT INTO table_state (name, batch_seq, ts_cursor, rowid_cursor) VALUES
                    ('sensor_timeseries', 3, '2026-11-25T06:00:03Z', 3);
                    """
            )
        }
    }

    /// The backlog both upgrades carry in `device_state`: 40 inserts, 10 updates, 5 key changes
    /// and 5 deletes, 65 journal entries.
    static func writeBacklog(_ db: Database) throws {
        for id in 1...40 {
            try db.execute(
                sql: "INSERT INTO device_state VALUES (?, 'old', ?, x'AB')",
                arguments: [id, Double(id) / 3]
            )
        }
        try db.execute(sql: "UPDATE device_state SET mode = 'older' WHERE id <= 10")
        try db.execute(sql: "UPDATE device_state SET id = id + 1000 WHERE id BETWEEN 11 AND 15")
        try db.execute(sql: "DELETE FROM device_state WHERE id BETWEEN 16 AND 20")
    }

    @Test func aBacklogInTheFirstFormatArrivesWhole() async throws {
        let harness = try await AgentHarness()
        let epoch = UUIDv7Generator.shared.next().description
        try await harness.app.write { db in
            try Self.installFirstFormat(db, epoch: epoch)
            try Self.writeBacklog(db)
            for second in 1...6 {
                try db.execute(
                    sql: "INSERT INTO sensor_timeseries VALUES (?, ?, 'C')",
                    arguments: [String(format: "2026-11-25T06:00:%02dZ", second), Double(second)]
                )
            }
        }
        try Self.writeFirstFormatState(try #require(harness.configuration.resolvedStatePath))
        let backlog = try await harness.app.read {
            try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM __edgesync_journal")
        }
        #expect(backlog == 40 + 10 + 10 + 5)
        let (_, task) = try await harness.startAgent()
        // Written after the upgrade: captured in the new format, sent after the backlog.
        try await harness.app.write { db in
            try db.execute(sql: "INSERT INTO device_state VALUES (500, 'new', 1, NULL)")
            try db.execute(sql: "UPDATE device_state SET mode = 'newer' WHERE id = 1")
        }
        try await harness.approve("device_state")
        #expect(try await harness.waitForConvergence())
        let lineage = try #require(try await harness.lineage("device_state"))
        let ledger = try await harness.store.batches(
            projectID: harness.projectID,
            filter: BatchFilter(),
            page: PageRequest(limit: 100)
        ).items
        #expect(ledger.allSatisfy { $0.outcome != .rejected }, "\(ledger.compactMap(\.rejectionMessage))")
        let detail = try #require(try await harness.store.lineageDetail(id: lineage.id, projectID: harness.projectID))
        #expect(detail.lineage.lastCommitSeq == 67, "the old journal's 65 changes, then the new journal's 2")
        // The telemetry cursor stood after sample 3: samples 4–6 go, nothing twice.
        let samples = try await harness.waitFor {
            try await harness.lineage("sensor_timeseries")?.stagedRowCount == 3 ? true : nil
        }
        #expect(samples == true)
        #expect(
            try await harness.app.read { try $0.tableExists("__edgesync_journal") || $0.tableExists("__edgesync_meta") }
                == false,
            "the old format is gone once drained"
        )
        task.cancel()
        _ = try? await task.value
        await harness.stop()
    }
    /// Puts `device_state`'s capture back as the agents before the insert sweep installed it: no
    /// `sweep_mark` in the catalog, and triggers that journal every insert.
    static func installTriggersBeforeTheSweep(_ db: Database) throws {
        let id = try #require(
            try Int64.fetchOne(db, sql: "SELECT id FROM __edgesync_catalog WHERE table_name = 'device_state'")
        )
        for suffix in ["insert_below_mark", "update", "delete"] {
            try db.execute(sql: "DROP TRIGGER \"__edgesync_t\(id)_\(suffix)\"")
        }
        try db.execute(
            sql: """
                ALTER TABLE __edgesync_catalog DROP COLUMN sweep_mark;
                CREATE TRIGGER "__edgesync_t\(id)_insert" AFTER INSERT ON "device_state" BEGIN
                INSERT INTO "__edgesync_j\(id)" (op, k1) VALUES (1, NEW."id"); END;
                CREATE TRIGGER "__edgesync_t\(id)_update" AFTER UPDATE ON "device_state" BEGIN
                INSERT INTO "__edgesync_j\(id)" (op, k1) SELECT 3, OLD."id" WHERE NOT (OLD."id" IS NEW."id");
                INSERT INTO "__edgesync_j\(id)" (op, k1) VALUES (CASE WHEN OLD."id" IS NEW."id" THEN 2 ELSE 1 END, NEW."id"); END;
                CREATE TRIGGER "__edgesync_t\(id)_delete" AFTER DELETE ON "device_state" BEGIN
                INSERT INTO "__edgesync_j\(id)" (op, k1) VALUES (3, OLD."id"); END;
                """
        )
    }

    /// A device whose journal holds a backlog that the triggers of the agent before the insert
    /// sweep wrote: the upgraded agent moves the table to the sweep in one transaction, keeps its
    /// epoch, sends the backlog, then the rows written after, and the mirror ends equal to the table.
    @Test func aBacklogJournaledBeforeTheInsertSweepArrivesWhole() async throws {
        let harness = try await AgentHarness()
        var (agent, task) = try await harness.startAgent()
        task.cancel()
        _ = try? await task.value
        let epoch = try await harness.app.read {
            try String.fetchOne(
                $0,
                sql: "SELECT journal_epoch FROM __edgesync_catalog WHERE table_name = 'device_state'"
            )
        }
        try await harness.app.write { db in
            try Self.installTriggersBeforeTheSweep(db)
            try Self.writeBacklog(db)
        }
        let backlog = try await harness.app.read {
            try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM __edgesync_j1 WHERE op > 0")
        }
        #expect(backlog == 40 + 10 + 10 + 5)
        (agent, task) = try await harness.startAgent()
        let upgraded = try await harness.app.read { db in
            (
                try Int64.fetchOne(
                    db,
                    sql: "SELECT sweep_mark FROM __edgesync_catalog WHERE table_name = 'device_state'"
                ),
                try String.fetchOne(
                    db,
                    sql: "SELECT journal_epoch FROM __edgesync_catalog WHERE table_name = 'device_state'"
                )
            )
        }
        #expect(
            upgraded.0 == 1_015 && upgraded.1 == epoch,
            "the journal and its epoch stay; the mark starts above the rows"
        )
        // Written after the upgrade: above the mark (swept) and at or below it (the triggers).
        try await harness.app.write { db in
            try db.execute(sql: "INSERT INTO device_state VALUES (2000, 'new', 1, NULL)")
            try db.execute(sql: "UPDATE device_state SET mode = 'newer' WHERE id = 1")
        }
        try await harness.approve("device_state")
        #expect(try await harness.waitForConvergence())
        let lineage = try #require(try await harness.lineage("device_state"))
        let detail = try #require(try await harness.store.lineageDetail(id: lineage.id, projectID: harness.projectID))
        #expect(
            detail.lineage.lastCommitSeq == 67,
            "the 65 changes of the backlog, then the update and the swept insert"
        )
        withExtendedLifetime(agent) {}
        task.cancel()
        _ = try? await task.value
        await harness.stop()
    }
}

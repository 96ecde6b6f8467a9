import EdgeSyncModels
import Foundation
import GRDB
import Testing

@testable import Agent

/// The triggers on a real SQLite file: what each kind of write journals.
@Suite("Capture triggers")
struct CaptureTests {
    static func database() throws -> (DatabasePool, String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "edgesync-capture-\(UUID().uuidString).db"
        ).path
        let pool = try EdgeAgent.openSource(path)
        try pool.write { db in
            try db.execute(
                sql: #"""
                    CREATE TABLE device_state (id INTEGER PRIMARY KEY, mode TEXT, level REAL, raw BLOB);
                    CREATE TABLE "odd ""name""" (a TEXT, b INTEGER, PRIMARY KEY (a, b));
                    CREATE TABLE log_lines (line TEXT);
                    """#
            )
        }
        return (pool, path)
    }

    static func journal(_ pool: DatabasePool) throws -> [JournalEntry] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM __edgesync_journal ORDER BY commit_seq").map {
                JournalEntry(seq: $0["commit_seq"], op: $0["op"], pk: $0["pk"], row: $0["row"])
            }
        }
    }

    static func configuration(_ path: String) -> AgentConfiguration {
        var configuration = AgentConfiguration()
        configuration.sourceDatabasePath = path
        return configuration
    }

    @Test func everyKindOfWriteIsJournaledExactly() throws {
        let (pool, path) = try Self.database()
        let tables = try pool.write { db -> [SourceTable] in
            try CaptureSchema.createJournal(db)
            let tables = try CaptureSchema.discover(db, configuration: Self.configuration(path))
            for table in tables where table.problems.isEmpty {
                try EdgeAgent.ensureCapture(db, table, snapshotIfNew: false)
            }
            return tables
        }
        #expect(tables.map(\.name) == ["device_state", "log_lines", "odd \"name\""])
        #expect(tables[1].problems.first?.contains("no PRIMARY KEY") == true)
        try pool.write { db in
            try db.execute(sql: "INSERT INTO device_state VALUES (1, 'idle', 0.1 + 0.2, x'00ff')")
            try db.execute(sql: "UPDATE device_state SET mode = 'it''s \"hot\"' WHERE id = 1")
            try db.execute(sql: "UPDATE device_state SET id = 2 WHERE id = 1")
            try db.execute(sql: "DELETE FROM device_state WHERE id = 2")
            try db.execute(sql: "INSERT INTO \"odd \"\"name\"\"\" VALUES ('k', 7)")
            try db.execute(sql: "INSERT INTO log_lines VALUES ('not captured')")
        }
        let entries = try Self.journal(pool)
        #expect(entries.map(\.op) == ["insert", "update", "delete", "insert", "delete", "insert"])
        let first = try JSONParser().parse(Array(entries[0].row!.utf8))
        #expect(
            first
                == .object([
                    "id": .integer(1), "level": .double(0.30000000000000004), "mode": .string("idle"),
                    "raw": .object(["$hex": .string("00FF")]),
                ])
        )
        #expect(try JSONParser().parse(Array(entries[1].row!.utf8)).objectValue?["mode"] == .string("it's \"hot\""))
        #expect(entries[2].pk == #"{"id":1}"# && entries[2].row == nil && entries[3].pk == #"{"id":2}"#)
        #expect(entries[5].pk == #"{"a":"k","b":7}"#)
        // Installing again is a no-op; a schema change reinstalls and keeps capturing.
        try pool.write { db in
            try db.execute(sql: "ALTER TABLE device_state ADD COLUMN zone TEXT")
            let changed = try CaptureSchema.discover(db, configuration: Self.configuration(path)).first!
            try EdgeAgent.ensureCapture(db, changed, snapshotIfNew: false)
            try db.execute(sql: "INSERT INTO device_state VALUES (5, 'eco', NULL, NULL, 'north')")
        }
        #expect(
            try JSONParser().parse(Array(Self.journal(pool).last!.row!.utf8)).objectValue?["zone"] == .string("north")
        )
        let removed = try AgentInspection.uninstall(sourcePath: path)
        #expect(removed.count == 3)
        try pool.write { try $0.execute(sql: "INSERT INTO device_state VALUES (9, 'x', 1, NULL, NULL)") }
        #expect(try pool.read { try $0.tableExists("__edgesync_journal") } == false)
    }

    @Test func checkReportsTablesWithoutChangingTheDatabase() throws {
        let (_, path) = try Self.database()
        let checked = try AgentInspection.check(Self.configuration(path))
        #expect(checked.map(\.name) == ["device_state", "log_lines", "odd \"name\""])
        #expect(
            checked[0].schemaColumns.columns.map(\.name) == ["id", "level", "mode", "raw"]
                && checked[0].problems.isEmpty
        )
        let queue = try DatabaseQueue(path: path)
        #expect(try queue.read { try $0.tableExists("__edgesync_journal") } == false)
    }
}

import EdgeSyncModels
import Foundation
import GRDB
import Testing

@testable import Agent

/// The capture on a real SQLite file: the triggers journal keys in the application's
/// transaction; a read of the journal gives every change with its row as the table holds it.
@Suite("Capture")
struct CaptureTests {
    static func database() throws -> (DatabasePool, String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "edgesync-capture-\(UUID().uuidString).db"
        ).path
        let pool = try AppDatabase.open(path)
        try pool.write { db in
            try db.execute(
                sql: #"""
                    CREATE TABLE device_state (id INTEGER PRIMARY KEY, mode TEXT, level REAL, raw BLOB);
                    CREATE TABLE "odd ""name""" (a TEXT, b BLOB, PRIMARY KEY (a, b)) WITHOUT ROWID;
                    CREATE TABLE log_lines (line TEXT);
                    """#
            )
        }
        return (pool, path)
    }

    static func configuration(_ path: String) -> AgentConfiguration {
        var configuration = AgentConfiguration()
        configuration.sourceDatabasePath = path
        return configuration
    }

    /// Installs capture as the agent's poll does (a first run by default: no snapshot of the
    /// rows already there); returns the captured tables by name.
    static func capture(_ db: SQLiteDatabase, _ path: String, firstRun: Bool = true) throws -> [String: CapturedTable] {
        try db.transaction {
            let discovered = try TableDiscovery.discover(db, configuration: configuration(path))
            let tables = try CaptureMaintenance.reconcile(
                db,
                discovered: discovered,
                snapshotNewTables: !firstRun,
                newEpoch: EdgeAgent.newEpoch
            ).tables
            return Dictionary(uniqueKeysWithValues: tables.map { ($0.name, $0) })
        }
    }

    /// The entries after `cursor`, as they would go into a batch.
    static func read(_ db: SQLiteDatabase, _ table: CapturedTable, after cursor: Int64) throws -> [RowEntry] {
        try db.transaction(immediate: false) {
            try JournalReader.rows(db, table, after: cursor, limit: 100)?.entries ?? []
        }
    }

    static func json(_ bytes: [UInt8]?) throws -> JSONValue {
        try JSONParser().parse(bytes ?? Array("null".utf8))
    }

    @Test func everyKindOfWriteIsReadExactly() throws {
        let (app, path) = try Self.database()
        let db = try SQLiteDatabase(path: path, mode: .readWrite)
        let tables = try Self.capture(db, path)
        #expect(tables.keys.sorted() == ["device_state", "odd \"name\""], "log_lines has no key")
        let state = try #require(tables["device_state"])
        try app.write { try $0.execute(sql: "INSERT INTO device_state VALUES (1, 'idle', 0.1 + 0.2, x'00ff')") }
        var entries = try Self.read(db, state, after: 0)
        #expect(entries.map(\.op) == ["insert"])
        #expect(
            try Self.json(entries[0].row)
                == .object([
                    "id": .integer(1), "level": .double(0.30000000000000004), "mode": .string("idle"),
                    "raw": .object(["$hex": .string("00FF")]),
                ])
        )
        try app.write { try $0.execute(sql: "UPDATE device_state SET mode = 'it''s \"hot\"', level = 21 WHERE id = 1") }
        entries = try Self.read(db, state, after: 1)
        #expect(entries.map(\.op) == ["update"])
        let updated = try Self.json(entries[0].row).objectValue
        #expect(updated?["mode"] == .string("it's \"hot\"") && updated?["level"] == .double(21))
        #expect(String(decoding: entries[0].row ?? [], as: UTF8.self).contains(#""level":21.0"#), "a REAL stays a REAL")
        // A key change is a delete of the old key and an insert of the new one.
        try app.write { try $0.execute(sql: "UPDATE device_state SET id = 2 WHERE id = 1") }
        entries = try Self.read(db, state, after: 2)
        #expect(entries.map(\.op) == ["delete", "insert"])
        #expect(entries.map { String(decoding: $0.pk, as: UTF8.self) } == [#"{"id":1}"#, #"{"id":2}"#])
        // A row deleted since its insert is not sent; its delete is.
        try app.write { db in
            try db.execute(sql: "INSERT INTO device_state VALUES (3, 'eco', NULL, NULL)")
            try db.execute(sql: "DELETE FROM device_state WHERE id IN (2, 3)")
        }
        entries = try Self.read(db, state, after: 4)
        #expect(entries.map(\.op) == ["delete", "delete"] && entries.allSatisfy { $0.row == nil })
        // A composite key with a BLOB, in a WITHOUT ROWID table with an odd name.
        let odd = try #require(tables["odd \"name\""])
        try app.write { try $0.execute(sql: "INSERT INTO \"odd \"\"name\"\"\" VALUES ('k', x'0A0B')") }
        #expect(
            try Self.read(db, odd, after: 0).map { String(decoding: $0.pk, as: UTF8.self) } == [
                #"{"a":"k","b":{"$hex":"0A0B"}}"#
            ]
        )
    }

    /// Rows written right after an `ADD COLUMN`, before any poll, carry the new column: the row
    /// is read with the table's shape of the same snapshot.
    @Test func aColumnAddedBeforeAnyPollTravelsWithItsRows() throws {
        let (app, path) = try Self.database()
        let db = try SQLiteDatabase(path: path, mode: .readWrite)
        let state = try #require(try Self.capture(db, path)["device_state"])
        try app.write { db in
            try db.execute(sql: "ALTER TABLE device_state ADD COLUMN zone TEXT")
            try db.execute(sql: "INSERT INTO device_state VALUES (5, 'eco', NULL, NULL, 'north')")
        }
        let read = try #require(
            try db.transaction(immediate: false) { try JournalReader.rows(db, state, after: 0, limit: 10) }
        )
        #expect(read.fingerprint.columns.map(\.name).contains("zone"))
        #expect(try Self.json(read.entries.first?.row).objectValue?["zone"] == .string("north"))
    }

    /// The application's own migrations work with the agent installed: drop a column, rename the
    /// table, drop and recreate it; the next poll adapts capture (a renamed or recreated table
    /// starts a new epoch with a snapshot) and nothing is journaled twice.
    @Test func theApplicationsDDLWorksWithCaptureInstalled() throws {
        let (app, path) = try Self.database()
        let db = try SQLiteDatabase(path: path, mode: .readWrite)
        let first = try #require(try Self.capture(db, path)["device_state"])
        try app.write { db in
            try db.execute(sql: "INSERT INTO device_state VALUES (1, 'idle', 1.5, NULL)")
            try db.execute(sql: "ALTER TABLE device_state DROP COLUMN level")
            try db.execute(sql: "INSERT INTO device_state VALUES (2, 'eco', NULL)")
        }
        #expect(try Self.read(db, first, after: 0).count == 2)
        try app.write { try $0.execute(sql: "ALTER TABLE device_state RENAME TO machine_state") }
        var tables = try Self.capture(db, path, firstRun: false)
        let renamed = try #require(tables["machine_state"])
        #expect(tables["device_state"] == nil && renamed.snapshotAfter != nil, "the renamed table is captured afresh")
        try app.write { try $0.execute(sql: "INSERT INTO machine_state VALUES (3, 'hot', NULL)") }
        let journaled = try db.scalar("SELECT COUNT(*) FROM \(SQLIdentifier.quote(renamed.journal))")?.integer
        #expect(journaled == 1, "one trigger set journals the write once")
        #expect(
            try db.scalar(
                "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE '\\_\\_edgesync\\_t\(first.id)\\_%' ESCAPE '\\'"
            )?
            .integer == 0,
            "the triggers the rename carried along are gone"
        )
        try app.write { db in
            try db.execute(sql: "DROP TABLE machine_state")
            try db.execute(sql: "CREATE TABLE machine_state (id INTEGER PRIMARY KEY, mode TEXT, raw BLOB)")
            try db.execute(sql: "INSERT INTO machine_state VALUES (9, 'new', NULL)")
        }
        tables = try Self.capture(db, path, firstRun: false)
        let recreated = try #require(tables["machine_state"])
        #expect(
            recreated.epoch != renamed.epoch && recreated.snapshotAfter != nil,
            "a recreated table starts a new epoch"
        )
        let done = try db.transaction { try Snapshotter.step(db, recreated) }
        #expect(done.snapshotAfter == nil && done.snapshotThrough == 1)
        #expect(try Self.read(db, done, after: 0).map { String(decoding: $0.pk, as: UTF8.self) } == [#"{"id":9}"#])
    }

    /// `uninstall` drops every trigger and table the agent made; the application's tables and
    /// rows stay as they were and its writes keep working.
    @Test func uninstallLeavesTheApplicationAsItWas() throws {
        let (app, path) = try Self.database()
        try app.write { try $0.execute(sql: "INSERT INTO device_state VALUES (1, 'idle', 1.5, NULL)") }
        let before = try app.read {
            try String.fetchAll($0, sql: "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
        }
        do {
            let db = try SQLiteDatabase(path: path, mode: .readWrite)
            _ = try Self.capture(db, path)
        }
        #expect(try AgentInspection.uninstall(Self.configuration(path)) == 2)
        let after = try app.read {
            try String.fetchAll($0, sql: "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
        }
        #expect(after == before)
        try app.write { try $0.execute(sql: "INSERT INTO device_state VALUES (2, 'eco', NULL, NULL)") }
        #expect(try app.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM device_state") } == 2)
    }

    @Test func checkReportsTablesWithoutChangingTheDatabase() throws {
        let (app, path) = try Self.database()
        let checked = try AgentInspection.check(Self.configuration(path))
        #expect(checked.map(\.name) == ["device_state", "log_lines", "odd \"name\""])
        #expect(
            checked[0].schemaColumns.columns.map(\.name) == ["id", "level", "mode", "raw"]
                && checked[0].problems.isEmpty
        )
        #expect(try app.read { try $0.tableExists(CaptureCatalog.catalog) } == false)
    }
}

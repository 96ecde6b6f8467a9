import EdgeSyncModels
import Foundation
import GRDB
import TestSupport
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

    /// Sweeps the rows above the table's mark into its journal, as the agent does before a read.
    static func sweep(_ db: SQLiteDatabase, _ table: CapturedTable) throws {
        while try db.transaction({ try InsertSweep.step(db, table).swept }) == InsertSweep.chunkRows {}
    }

    /// The entries after `cursor`, as they would go into a batch once swept.
    static func read(_ db: SQLiteDatabase, _ table: CapturedTable, after cursor: Int64) throws -> [RowEntry] {
        try sweep(db, table)
        return try db.transaction(immediate: false) {
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
        // A row deleted before the sweep reached it is not sent at all; a swept row's delete is.
        try app.write { db in
            try db.execute(sql: "INSERT INTO device_state VALUES (3, 'eco', NULL, NULL)")
            try db.execute(sql: "DELETE FROM device_state WHERE id IN (2, 3)")
        }
        entries = try Self.read(db, state, after: 4)
        #expect(entries.map(\.op) == ["delete"] && entries.allSatisfy { $0.row == nil })
        // A composite key with a BLOB, in a WITHOUT ROWID table with an odd name.
        let odd = try #require(tables["odd \"name\""])
        try app.write { try $0.execute(sql: "INSERT INTO \"odd \"\"name\"\"\" VALUES ('k', x'0A0B')") }
        #expect(
            try Self.read(db, odd, after: 0).map { String(decoding: $0.pk, as: UTF8.self) } == [
                #"{"a":"k","b":{"$hex":"0A0B"}}"#
            ]
        )
    }

    /// A table keyed by its rowid alias: inserts of a new highest key write no journal entry and
    /// wait for the sweep, which journals them in key order a chunk at a time; changes of rows at
    /// or below the mark are the triggers'. Each change is journaled once.
    @Test func insertsAboveTheMarkAreSweptAndTheRestJournaledOnce() throws {
        let (app, path) = try Self.database()
        let db = try SQLiteDatabase(path: path, mode: .readWrite)
        let tables = try Self.capture(db, path)
        let state = try #require(tables["device_state"])
        #expect(state.sweepMark == 0)
        #expect(tables["odd \"name\""]?.sweepMark == nil, "a WITHOUT ROWID table journals every insert")
        func journaled() throws -> [[Int64]] {
            try db.rows("SELECT op, k1 FROM \(SQLIdentifier.quote(state.journal)) ORDER BY seq").map {
                [$0[0].integer ?? -1, $0[1].integer ?? -1]
            }
        }
        try app.write { db in
            for id in 1...4_500 {
                try db.execute(sql: "INSERT INTO device_state (id, mode) VALUES (?, 'new')", arguments: [id])
            }
        }
        #expect(try journaled().isEmpty, "the application's inserts wrote no journal entry")
        #expect(try InsertSweep.waiting(db, state, limit: 10_000) == 4_500)
        var chunks: [Int] = []
        repeat {
            chunks.append(try db.transaction { try InsertSweep.step(db, state).swept })
        } while chunks.last == InsertSweep.chunkRows
        #expect(chunks == [4_096, 404])
        #expect(try journaled() == (1...4_500).map { [JournalOp.insert.rawValue, Int64($0)] })
        try app.write { db in
            // At or below the mark: the triggers journal them.
            try db.execute(sql: "DELETE FROM device_state WHERE id = 4500")
            try db.execute(sql: "INSERT INTO device_state (mode) VALUES ('takes 4500 again')")
            try db.execute(sql: "INSERT INTO device_state (id, mode) VALUES (-7, 'low')")
            try db.execute(sql: "UPDATE device_state SET mode = 'hot' WHERE id = 1")
            // Above the mark: the sweep's, whatever happens to the row before it.
            try db.execute(sql: "INSERT INTO device_state (id, mode) VALUES (5000, 'a')")
            try db.execute(sql: "UPDATE device_state SET mode = 'b' WHERE id = 5000")
            try db.execute(sql: "INSERT INTO device_state (id, mode) VALUES (5001, 'gone')")
            try db.execute(sql: "DELETE FROM device_state WHERE id = 5001")
            try db.execute(sql: "UPDATE device_state SET id = 6000 WHERE id = 2")
        }
        try Self.sweep(db, state)
        #expect(
            try journaled().dropFirst(4_500) == [
                [3, 4500], [1, 4500], [1, -7], [2, 1], [3, 2], [1, 5000], [1, 6000],
            ]
        )
        let read = try Self.read(db, state, after: 4_505)
        #expect(try read.map { try Self.json($0.row).objectValue?["mode"] } == [.string("b"), .string("new")])
        #expect(
            try db.scalar("SELECT sweep_mark FROM \"\(CaptureCatalog.catalog)\" WHERE id = ?", [.integer(state.id)])?
                .integer == 6_000
        )
    }

    /// A poll's sweep ends at the highest key it found: rows the application inserts meanwhile
    /// wait for the next sweep rather than keep this one going.
    @Test func aSweepThroughAKeyStopsThereWhileTheApplicationInsertsOn() throws {
        let (app, path) = try Self.database()
        let db = try SQLiteDatabase(path: path, mode: .readWrite)
        var state = try #require(try Self.capture(db, path)["device_state"])
        func insert(_ ids: ClosedRange<Int>) throws {
            try app.write { db in
                for id in ids { try db.execute(sql: "INSERT INTO device_state (id) VALUES (?)", arguments: [id]) }
            }
        }
        try insert(1...10_000)
        let highest = try #require(try InsertSweep.highestKey(db, state))
        #expect(highest == 10_000)
        var chunks: [Int] = []
        repeat {
            try insert((10_001 + chunks.count * 3_000)...(13_000 + chunks.count * 3_000))
            let swept = try db.transaction { [state] in try InsertSweep.step(db, state, through: highest) }
            state = swept.table
            chunks.append(swept.swept)
        } while chunks.last == InsertSweep.chunkRows
        #expect(chunks == [4_096, 4_096, 1_808])
        #expect(state.sweepMark == 10_000)
        #expect(try InsertSweep.waiting(db, state, through: highest, limit: 100_000) == 0)
        #expect(try InsertSweep.waiting(db, state, limit: 100_000) == 9_000)
        try Self.sweep(db, state)
        #expect(
            try db.scalar("SELECT COUNT(*) FROM \(SQLIdentifier.quote(state.journal))")?.integer == 19_000,
            "every row journaled once"
        )
    }

    /// Random writes (new highest keys, explicit lower and reused keys, updates, key changes,
    /// deletes, most of them near the highest key) with sweeps and reads of the journal between them at random: the entries read,
    /// applied in order as the server applies them, give exactly the table's rows.
    @Test(arguments: 1...8)
    func theJournalReadInOrderRebuildsTheTable(seed: UInt64) throws {
        var random = SplitMix(state: seed &* 0x9E37_79B9)
        let (app, path) = try Self.database()
        let db = try SQLiteDatabase(path: path, mode: .readWrite)
        let state = try #require(try Self.capture(db, path)["device_state"])
        var mirror: [Int64: String] = [:]
        var cursor: Int64 = 0
        for step in 0..<400 {
            // Keys around the highest, where the triggers' part and the sweep's meet, and anywhere.
            let highest =
                try app.read { try Int.fetchOne($0, sql: "SELECT COALESCE(MAX(id), 0) FROM device_state") } ?? 0
            let low = Bool.random(using: &random) ? highest - 3 : -5
            let id = Int.random(in: low...highest + 2, using: &random)
            let other = Int.random(in: low...highest + 2, using: &random)
            let statement = [
                "INSERT INTO device_state (mode) VALUES ('s\(step)')",
                "INSERT OR REPLACE INTO device_state (id, mode) VALUES (\(id), 's\(step)')",
                "UPDATE device_state SET mode = 's\(step)' WHERE id = \(id)",
                "UPDATE OR IGNORE device_state SET id = \(other) WHERE id = \(id)",
                "DELETE FROM device_state WHERE id = \(id)",
            ].randomElement(using: &random)!
            try app.write { try $0.execute(sql: statement) }
            if Int.random(in: 0..<10, using: &random) == 0 {
                _ = try db.transaction { try InsertSweep.step(db, state) }
            }
            guard Int.random(in: 0..<20, using: &random) == 0 || step == 399 else { continue }
            for entry in try Self.read(db, state, after: cursor) {
                let key = try #require(try Self.json(entry.pk).objectValue?["id"]?.integerValue)
                mirror[key] = try entry.row.map { try Self.json($0).objectValue?["mode"]?.stringValue ?? "" }
                cursor = entry.seq
            }
        }
        let table = try app.read { db in
            Dictionary(
                uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT id, mode FROM device_state").map {
                    ($0[0] as Int64, $0[1] as String)
                }
            )
        }
        #expect(mirror == table)
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
        try Self.sweep(db, state)
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
        try Self.sweep(db, renamed)
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

import EdgeSyncModels

/// The agent's bookkeeping inside the application's database: which tables are captured (with
/// their journal, epoch and snapshot), the database's identity, and the DDL of journals and
/// triggers. Every function runs inside the caller's transaction.
enum CaptureCatalog {
    static let catalog = "__edgesync_catalog"
    static let database = "__edgesync_database"

    static func create(_ db: SQLiteDatabase) throws {
        try db.execute(
            """
            CREATE TABLE IF NOT EXISTS "\(catalog)" (
                id INTEGER PRIMARY KEY, table_name TEXT NOT NULL UNIQUE, strategy TEXT NOT NULL,
                journal_key TEXT NOT NULL, journal_epoch TEXT NOT NULL, snapshot_after TEXT,
                snapshot_until TEXT, snapshot_through INTEGER);
            CREATE TABLE IF NOT EXISTS "\(database)" (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            """
        )
        if try !hasSweepMarks(db) { try db.execute("ALTER TABLE \"\(catalog)\" ADD COLUMN sweep_mark INTEGER") }
    }

    /// Whether the catalog has its `sweep_mark` column (a catalog an older agent made has not).
    static func hasSweepMarks(_ db: SQLiteDatabase) throws -> Bool {
        try db.scalar("SELECT 1 FROM pragma_table_info(?) WHERE name = 'sweep_mark'", [.text(catalog)]) != nil
    }

    static func exists(_ db: SQLiteDatabase) throws -> Bool {
        try db.scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [.text(catalog)]) != nil
    }

    // MARK: The database's identity

    /// The random id the agent gave this database file; nil before the first run.
    static func databaseID(_ db: SQLiteDatabase) throws -> String? {
        guard try exists(db) else { return nil }
        return try db.scalar("SELECT value FROM \"\(database)\" WHERE key = 'database_id'")?.text
    }

    static func setDatabaseID(_ db: SQLiteDatabase, _ id: String) throws {
        try db.run(
            "INSERT INTO \"\(database)\" VALUES ('database_id', ?) ON CONFLICT DO UPDATE SET value = excluded.value",
            [.text(id)]
        )
    }

    // MARK: Captured tables

    static func tables(_ db: SQLiteDatabase) throws -> [CapturedTable] {
        guard try exists(db) else { return [] }
        let sweepMark = try hasSweepMarks(db) ? "sweep_mark" : "NULL"
        return try db.rows(
            """
            SELECT id, table_name, strategy, journal_key, journal_epoch, snapshot_after, snapshot_through,
            snapshot_until, \(sweepMark) FROM "\(catalog)" ORDER BY id
            """
        ).map {
            CapturedTable(
                id: $0[0].integer ?? 0,
                name: $0[1].text ?? "",
                isTelemetry: $0[2].text == "telemetry",
                key: JournalKey(catalogText: $0[3].text ?? "[]"),
                epoch: $0[4].text ?? "",
                snapshotAfter: $0[5].text,
                snapshotUntil: $0[7].text,
                snapshotThrough: $0[6].integer,
                sweepMark: $0[8].integer
            )
        }
    }

    static func save(_ db: SQLiteDatabase, _ table: CapturedTable) throws {
        try db.run(
            """
            UPDATE "\(catalog)" SET journal_epoch = ?, snapshot_after = ?, snapshot_until = ?, snapshot_through = ?
            WHERE id = ?
            """,
            [
                .text(table.epoch), SQLiteValue(table.snapshotAfter), SQLiteValue(table.snapshotUntil),
                SQLiteValue(table.snapshotThrough), .integer(table.id),
            ]
        )
    }

    /// Starts capturing `table`: a catalog entry, an empty journal (continuing after `startSeq`
    /// when it replaces an older one in the same epoch), the triggers, and a snapshot to run when
    /// `snapshot` is set.
    static func install(
        _ db: SQLiteDatabase,
        _ table: SourceTable,
        epoch: String,
        snapshot: Bool,
        startSeq: Int64 = 0
    ) throws -> CapturedTable {
        let isTelemetry: Bool
        if case .telemetry = table.strategy { isTelemetry = true } else { isTelemetry = false }
        try db.run(
            "INSERT INTO \"\(catalog)\" (table_name, strategy, journal_key, journal_epoch, snapshot_after) VALUES (?, ?, ?, ?, ?)",
            [
                .text(table.name), .text(isTelemetry ? "telemetry" : "rows"), .text(table.journalKey.catalogText),
                .text(epoch), snapshot ? .text("[]") : .null,
            ]
        )
        guard let id = try db.scalar("SELECT last_insert_rowid()")?.integer else {
            throw SQLiteError(code: 1, message: "no catalog id for \(table.name)", sql: nil)
        }
        var captured = CapturedTable(
            id: id,
            name: table.name,
            isTelemetry: isTelemetry,
            key: table.journalKey,
            epoch: epoch,
            snapshotAfter: snapshot ? "[]" : nil
        )
        try createJournal(db, captured, startSeq: startSeq)
        if table.rowidAlias != nil {
            // Rows there now are the snapshot's or, without one, not captured: the mark starts above them.
            captured = try setSweepMark(db, captured, highestRow(db, captured))
        }
        try installTriggers(db, captured)
        guard snapshot else { return captured }
        let keys = captured.key.expressions("t")
        let highest = try db.firstRow(
            """
            SELECT \(keys.joined(separator: ", ")) FROM \(SQLIdentifier.quote(table.name)) AS t
            ORDER BY \(keys.map { "\($0) DESC" }.joined(separator: ", ")) LIMIT 1
            """
        )
        captured.snapshotUntil = highest.map(Snapshotter.encodeKey)
        try save(db, captured)
        // A WITHOUT ROWID telemetry table's key need not grow: a sample added during a chunked
        // snapshot could be journaled twice, so its snapshot is taken here, whole.
        if isTelemetry, case .columns = captured.key {
            while captured.snapshotAfter != nil { captured = try Snapshotter.step(db, captured) }
        }
        return captured
    }

    /// Ends the capture of a table: its triggers (wherever a rename moved them), its journal and
    /// its catalog entry.
    static func remove(_ db: SQLiteDatabase, _ table: CapturedTable) throws {
        for trigger in table.triggerNames { try db.execute("DROP TRIGGER IF EXISTS \(SQLIdentifier.quote(trigger))") }
        try db.execute("DROP TABLE IF EXISTS \(SQLIdentifier.quote(table.journal))")
        try db.run("DELETE FROM \"\(catalog)\" WHERE id = ?", [.integer(table.id)])
    }

    /// Whether the table's triggers are all there, on the table of that name.
    static func hasTriggers(_ db: SQLiteDatabase, _ table: CapturedTable) throws -> Bool {
        let found = try db.rows(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
            [.text(table.name)]
        ).compactMap { $0[0].text }
        return Set(table.triggerNames).isSubset(of: Set(found))
    }

    static func createJournal(_ db: SQLiteDatabase, _ table: CapturedTable, startSeq: Int64) throws {
        let journal = SQLIdentifier.quote(table.journal)
        try db.execute(
            "CREATE TABLE \(journal) (seq INTEGER PRIMARY KEY, op INTEGER NOT NULL, \(table.keyColumns.joined(separator: ", ")))"
        )
        if startSeq > 0 {
            try db.run(
                "INSERT INTO \(journal) (seq, op) VALUES (?, \(JournalOp.placeholder.rawValue))",
                [.integer(startSeq)]
            )
        }
    }

    /// The highest key of a table keyed by its rowid alias (0 when it is empty).
    static func highestRow(_ db: SQLiteDatabase, _ table: CapturedTable) throws -> Int64 {
        let key = table.key.expressions("t")[0]
        return try db.scalar("SELECT COALESCE(MAX(\(key)), 0) FROM \(SQLIdentifier.quote(table.name)) AS t")?.integer
            ?? 0
    }

    static func setSweepMark(_ db: SQLiteDatabase, _ table: CapturedTable, _ mark: Int64) throws -> CapturedTable {
        try db.run("UPDATE \"\(catalog)\" SET sweep_mark = ? WHERE id = ?", [.integer(mark), .integer(table.id)])
        var table = table
        table.sweepMark = mark
        return table
    }

    /// Moves a table captured by an agent that journaled every insert to the sweep, in the
    /// caller's transaction: the journal and its epoch stay, and the rows there now are all
    /// journaled already, so the mark starts above them.
    static func startSweeping(_ db: SQLiteDatabase, _ table: CapturedTable) throws -> CapturedTable {
        for trigger in table.triggerNames { try db.execute("DROP TRIGGER IF EXISTS \(SQLIdentifier.quote(trigger))") }
        let sweeping = try setSweepMark(db, table, highestRow(db, table))
        try installTriggers(db, sweeping)
        return sweeping
    }

    /// The capture triggers: they journal the operation and the key, in the application's own
    /// transaction. An update that changes the key journals delete(old) and insert(new). With a
    /// sweep mark, a row above the mark is the sweep's: its insert, update or delete is not
    /// journaled (a row not swept yet goes with its values at the sweep, or not at all once deleted).
    static func installTriggers(_ db: SQLiteDatabase, _ table: CapturedTable) throws {
        let journal = SQLIdentifier.quote(table.journal)
        let target = SQLIdentifier.quote(table.name)
        let columns = "(op, \(table.keyColumns.joined(separator: ", ")))"
        let new = table.key.expressions("NEW").joined(separator: ", ")
        let old = table.key.expressions("OLD").joined(separator: ", ")
        let names = table.triggerNames.map(SQLIdentifier.quote)
        // That the row is at or below the mark, after `join` (WHEN, WHERE, AND); nothing without a mark.
        func swept(_ row: String, _ join: String) -> String {
            guard table.sweepMark != nil else { return "" }
            return
                "\(join) \(table.key.expressions(row)[0]) <= (SELECT sweep_mark FROM \"\(catalog)\" WHERE id = \(table.id))"
        }
        var sql = """
            CREATE TRIGGER \(names[0]) AFTER INSERT ON \(target) \(swept("NEW", "WHEN")) BEGIN
            INSERT INTO \(journal) \(columns) VALUES (\(JournalOp.insert.rawValue), \(new)); END;
            """
        if !table.isTelemetry {
            let sameKey = zip(table.key.expressions("OLD"), table.key.expressions("NEW"))
                .map { "\($0) IS \($1)" }.joined(separator: " AND ")
            sql += """

                CREATE TRIGGER \(names[1]) AFTER UPDATE ON \(target) BEGIN
                INSERT INTO \(journal) \(columns) SELECT \(JournalOp.delete.rawValue), \(old) WHERE NOT (\(sameKey)) \(swept("OLD", "AND"));
                INSERT INTO \(journal) \(columns) SELECT CASE WHEN \(sameKey) THEN \(JournalOp.update.rawValue)
                ELSE \(JournalOp.insert.rawValue) END, \(new) \(swept("NEW", "WHERE")); END;
                CREATE TRIGGER \(names[2]) AFTER DELETE ON \(target) \(swept("OLD", "WHEN")) BEGIN
                INSERT INTO \(journal) \(columns) VALUES (\(JournalOp.delete.rawValue), \(old)); END;
                """
        }
        try db.execute(sql)
    }

    /// Every `__edgesync_…` trigger and table that the catalog does not account for: left by a
    /// rename (the triggers follow the table), a dropped table's journal, an older format.
    static func strays(_ db: SQLiteDatabase, keeping tables: [CapturedTable]) throws -> [(type: String, name: String)] {
        var kept = Set(tables.flatMap(\.triggerNames) + tables.map(\.journal))
        kept.formUnion([catalog, database, LegacyJournal.journal])
        return try db.rows(
            "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'trigger') AND name LIKE '\\_\\_edgesync\\_%' ESCAPE '\\'"
        ).compactMap { row in
            guard let type = row[0].text, let name = row[1].text, !kept.contains(name) else { return nil }
            return (type, name)
        }
    }

    static func drop(_ db: SQLiteDatabase, _ strays: [(type: String, name: String)]) throws {
        for stray in strays {
            try db.execute(
                "DROP \(stray.type == "table" ? "TABLE" : "TRIGGER") IF EXISTS \(SQLIdentifier.quote(stray.name))"
            )
        }
    }
}

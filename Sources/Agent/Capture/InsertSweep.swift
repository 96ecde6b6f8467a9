import EdgeSyncModels

/// Journals the rows inserted above a table's sweep mark (`CapturedTable.sweepMark`), a chunk
/// per short write transaction, and raises the mark past them.
///
/// A table keyed by its rowid alias gets most of its inserts as a new highest key, so its
/// triggers journal only changes of rows at or below the mark (an explicit lower key, a key reused
/// after the highest row was deleted, any later update or delete), and a row above the mark is
/// its own record until the agent sweeps it: the application's transaction writes no journal
/// entry for it. A row changed before it is swept goes with its values at the sweep, and one
/// deleted before goes not at all (the server never had it). The sweep and the mark change in one
/// transaction, and SQLite has one writer, so a row is the triggers' or the sweep's, never both.
enum InsertSweep {
    /// Keys per chunk: a full batch's, a few milliseconds of writing.
    static let chunkRows = BatchBuilder.maximumRows

    /// How many rows wait above the mark (up to `highest`, when given), counted up to `limit`.
    static func waiting(
        _ db: SQLiteDatabase,
        _ table: CapturedTable,
        through highest: Int64? = nil,
        limit: Int
    ) throws -> Int {
        guard let mark = table.sweepMark else { return 0 }
        let key = table.key.expressions("t")[0]
        let name = SQLIdentifier.quote(table.name)
        return Int(
            try db.scalar(
                "SELECT COUNT(*) FROM (SELECT 1 FROM \(name) AS t WHERE \(key) > ? AND \(key) <= ? LIMIT ?)",
                [.integer(mark), .integer(highest ?? .max), .integer(Int64(limit))]
            )?.integer ?? 0
        )
    }

    /// The table's highest key now: where a sweep of the rows committed so far ends.
    static func highestKey(_ db: SQLiteDatabase, _ table: CapturedTable) throws -> Int64? {
        let key = table.key.expressions("t")[0]
        return try db.scalar("SELECT MAX(\(key)) FROM \(SQLIdentifier.quote(table.name)) AS t")?.integer
    }

    /// Journals the next chunk in key order, up to `highest` when given (inside the caller's write
    /// transaction); returns the table with its new mark and how many rows it journaled (fewer
    /// than `chunkRows`: none left).
    static func step(
        _ db: SQLiteDatabase,
        _ table: CapturedTable,
        through highest: Int64? = nil
    ) throws -> (table: CapturedTable, swept: Int) {
        guard table.sweepMark != nil,
            let mark = try db.scalar(
                "SELECT sweep_mark FROM \"\(CaptureCatalog.catalog)\" WHERE id = ?",
                [.integer(table.id)]
            )?.integer
        else { return (table, 0) }
        let key = table.key.expressions("t")[0]
        let journal = SQLIdentifier.quote(table.journal)
        let swept = try db.run(
            """
            INSERT INTO \(journal) (op, k1) SELECT \(JournalOp.insert.rawValue), \(key)
            FROM \(SQLIdentifier.quote(table.name)) AS t WHERE \(key) > ? AND \(key) <= ?
            ORDER BY \(key) LIMIT \(chunkRows)
            """,
            [.integer(mark), .integer(highest ?? .max)]
        )
        guard swept > 0, let last = try db.scalar("SELECT k1 FROM \(journal) ORDER BY seq DESC LIMIT 1")?.integer
        else {
            var table = table
            table.sweepMark = mark
            return (table, 0)
        }
        return (try CaptureCatalog.setSweepMark(db, table, last), swept)
    }
}

import EdgeSyncModels

/// Seeds a table's rows into its journal as inserts, a chunk of keys per short write
/// transaction, so the application's writes never wait long for the agent.
///
/// The chunks need not be atomic with the trigger install that precedes them: the journal holds
/// keys and a batch reads each row as it is when it is built, so a row the application changes
/// between two chunks is sent with its current values, through its trigger entry and maybe once
/// more through the snapshot; either way the mirror ends equal to the table. The snapshot stops
/// at the highest key of the install (`snapshotUntil`): rows added later are the triggers'.
enum Snapshotter {
    /// Keys per chunk: a few milliseconds of writing at most.
    static let chunkRows = 2_000

    /// Journals the next chunk; the returned table has `snapshotAfter == nil` once done, and (for
    /// rows tables) `snapshotThrough` set to the journal seq the snapshot reached.
    static func step(_ db: SQLiteDatabase, _ table: CapturedTable) throws -> CapturedTable {
        guard let after = table.snapshotAfter else { return table }
        var table = table
        let keys = table.key.expressions("t")
        let until = table.snapshotUntil.map(decodeKey) ?? []
        let last = decodeKey(after)
        let journal = SQLIdentifier.quote(table.journal)
        var inserted = 0
        if until.count == keys.count {
            let row = "(\(keys.joined(separator: ", ")))"
            let placeholders = "(" + Array(repeating: "?", count: keys.count).joined(separator: ", ") + ")"
            var conditions = keys.map { "\($0) IS NOT NULL" } + ["\(row) <= \(placeholders)"]
            if last.count == keys.count { conditions.append("\(row) > \(placeholders)") }
            inserted = try db.run(
                """
                INSERT INTO \(journal) (op, \(table.keyColumns.joined(separator: ", ")))
                SELECT \(JournalOp.insert.rawValue), \(keys.joined(separator: ", ")) FROM \(SQLIdentifier.quote(table.name)) AS t
                WHERE \(conditions.joined(separator: " AND ")) ORDER BY \(keys.joined(separator: ", ")) LIMIT \(chunkRows)
                """,
                until + (last.count == keys.count ? last : [])
            )
        }
        if inserted < chunkRows {
            table.snapshotAfter = nil
            if !table.isTelemetry {
                table.snapshotThrough = try db.scalar("SELECT MAX(seq) FROM \(journal)")?.integer ?? 0
            }
        } else if let row = try db.firstRow(
            "SELECT \(table.keyColumns.joined(separator: ", ")) FROM \(journal) ORDER BY seq DESC LIMIT 1"
        ) {
            table.snapshotAfter = encodeKey(row)
        }
        try CaptureCatalog.save(db, table)
        return table
    }

    /// A key as a JSON array that keeps each value's storage class (REALs keep a fraction).
    static func encodeKey(_ values: [SQLiteValue]) -> String {
        var out = [UInt8(ascii: "[")]
        for (offset, value) in values.enumerated() {
            if offset > 0 { out.append(UInt8(ascii: ",")) }
            WireJSON.write(value, to: &out)
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }

    static func decodeKey(_ text: String) -> [SQLiteValue] {
        ((try? JSONParser().parse(text))?.arrayValue ?? []).map(WireJSON.sqliteValue)
    }
}

import EdgeSyncModels

/// The first capture format (agents before the per-table journals): one `__edgesync_journal`
/// with the row's JSON, `__edgesync_meta` for the epochs, and four triggers per table named after
/// it. An upgraded agent converts the capture in one transaction and still sends what the old
/// journal holds, in order, before the new journal's entries: nothing journaled is lost.
enum LegacyJournal {
    static let journal = "__edgesync_journal"
    static let meta = "__edgesync_meta"

    /// Where an older agent's telemetry cursor stood: after `(ts, rowid)`.
    struct TelemetryCursor: Sendable, Hashable {
        var ts: String
        var rowid: Int64
    }

    static func isPresent(_ db: SQLiteDatabase) throws -> Bool {
        try db.scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [.text(meta)]) != nil
    }

    static func journalExists(_ db: SQLiteDatabase) throws -> Bool {
        try db.scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [.text(journal)]) != nil
    }

    /// Converts the capture (inside the caller's transaction): rows tables keep their epoch and
    /// continue the old commit_seq; telemetry tables journal the rows after the old cursor.
    static func upgrade(
        _ db: SQLiteDatabase,
        discovered: [SourceTable],
        telemetryCursors: [String: TelemetryCursor],
        newEpoch: () -> String
    ) throws -> [CapturedTable] {
        try CaptureCatalog.create(db)
        let epochs = Dictionary(
            try db.rows("SELECT table_name, journal_epoch FROM \"\(meta)\"").compactMap { row in
                row[0].text.flatMap { name in row[1].text.map { (name, $0) } }
            },
            uniquingKeysWith: { first, _ in first }
        )
        let lastSeq = max(
            try db.scalar("SELECT seq FROM sqlite_sequence WHERE name = ?", [.text(journal)])?.integer ?? 0,
            try journalExists(db) ? try db.scalar("SELECT MAX(commit_seq) FROM \"\(journal)\"")?.integer ?? 0 : 0
        )
        var installed: [CapturedTable] = []
        for table in discovered where table.isCaptured {
            for suffix in ["insert", "update", "rekey", "delete"] {
                try db.execute("DROP TRIGGER IF EXISTS \(SQLIdentifier.quote("__edgesync_\(table.name)_\(suffix)"))")
            }
            switch table.strategy {
            case .rows:
                if let epoch = epochs[table.name] {
                    installed.append(
                        try CaptureCatalog.install(db, table, epoch: epoch, snapshot: false, startSeq: lastSeq)
                    )
                } else {
                    installed.append(try CaptureCatalog.install(db, table, epoch: newEpoch(), snapshot: true))
                }
            case .telemetry(let ts, _):
                guard let cursor = telemetryCursors[table.name], table.journalKey == .rowid else {
                    installed.append(try CaptureCatalog.install(db, table, epoch: newEpoch(), snapshot: true))
                    continue
                }
                let captured = try CaptureCatalog.install(db, table, epoch: newEpoch(), snapshot: false)
                let column = SQLIdentifier.quote(ts)
                try db.run(
                    """
                    INSERT INTO \(SQLIdentifier.quote(captured.journal)) (op, k1) SELECT \(JournalOp.insert.rawValue), rowid
                    FROM \(SQLIdentifier.quote(table.name)) WHERE \(column) > ?1 OR (\(column) = ?1 AND rowid > ?2)
                    ORDER BY \(column), rowid
                    """,
                    [.text(cursor.ts), .integer(cursor.rowid)]
                )
                installed.append(captured)
            case .ignore:
                break
            }
        }
        // Entries of tables that no longer continue their epoch cannot be sent as they were.
        let continuing = installed.filter { !$0.isTelemetry && epochs[$0.name] == $0.epoch }.map(\.name)
        if try journalExists(db) {
            let placeholders = Array(repeating: "?", count: continuing.count).joined(separator: ", ")
            try db.run(
                "DELETE FROM \"\(journal)\" WHERE table_name NOT IN (\(placeholders))",
                continuing.map(SQLiteValue.text)
            )
        }
        try db.execute("DROP TABLE IF EXISTS \"\(meta)\"")
        return installed
    }

    /// The old journal's entries of a table after `cursor`, as they were journaled.
    static func entries(_ db: SQLiteDatabase, table: String, after cursor: Int64, limit: Int) throws -> [RowEntry] {
        guard try journalExists(db) else { return [] }
        return try db.rows(
            """
            SELECT commit_seq, op, pk, row FROM "\(journal)" WHERE table_name = ? AND commit_seq > ?
            ORDER BY commit_seq LIMIT ?
            """,
            [.text(table), .integer(cursor), .integer(Int64(limit))]
        ).map {
            RowEntry(
                seq: $0[0].integer ?? 0,
                op: $0[1].text ?? "insert",
                pk: Array(($0[2].text ?? "{}").utf8),
                row: $0[3].text.map { Array($0.utf8) }
            )
        }
    }

    /// Forgets the old journal's entries of a table through `seq`, and the journal itself once it
    /// is empty.
    static func forget(_ db: SQLiteDatabase, table: String, through seq: Int64) throws {
        guard try journalExists(db) else { return }
        try db.run(
            "DELETE FROM \"\(journal)\" WHERE table_name = ? AND commit_seq <= ?",
            [.text(table), .integer(seq)]
        )
        if try db.scalar("SELECT 1 FROM \"\(journal)\" LIMIT 1") == nil {
            try db.execute("DROP TABLE \"\(journal)\"")
        }
    }

    /// Forgets everything the old journal holds for a table (its capture was renewed).
    static func discard(_ db: SQLiteDatabase, table: String) throws {
        try forget(db, table: table, through: .max)
    }
}

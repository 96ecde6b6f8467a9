import EdgeSyncModels

/// Something the agent changed about capture on its own, to log and report.
struct CaptureChange: Sendable, Hashable {
    var table: String
    var message: String
}

/// Keeps capture in line with the application's tables after its DDL, on the agent's poll:
///
/// - a table that appears is captured (with a snapshot, except on a first run without
///   `snapshot_on_first_run`);
/// - a table whose triggers are gone (dropped and recreated, rebuilt by a migration) or whose key
///   changed gets a new journal under a new epoch, with a snapshot: the server retires what that
///   snapshot no longer carries;
/// - a dropped, renamed or ignored table stops being captured, and the triggers a rename carried
///   along are dropped with every other `__edgesync_` object the catalog does not know;
/// - a table keyed by its rowid alias that an older agent captured moves to the insert sweep.
///
/// Runs inside the caller's write transaction.
enum CaptureMaintenance {
    static func reconcile(
        _ db: SQLiteDatabase,
        discovered: [SourceTable],
        snapshotNewTables: Bool,
        newEpoch: () -> String
    ) throws -> (tables: [CapturedTable], changes: [CaptureChange]) {
        try CaptureCatalog.create(db)
        let tables = Dictionary(discovered.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var captured: [CapturedTable] = []
        var changes: [CaptureChange] = []
        for entry in try CaptureCatalog.tables(db) {
            guard let table = tables[entry.name], table.strategy != .ignore else {
                try CaptureCatalog.remove(db, entry)
                try LegacyJournal.discard(db, table: entry.name)
                changes.append(
                    CaptureChange(table: entry.name, message: "no longer captured: the table is gone or ignored")
                )
                continue
            }
            // A table with a problem (say, its ts_column renamed) keeps its journal until fixed.
            guard table.problems.isEmpty else {
                captured.append(entry)
                continue
            }
            let reason: String?
            if table.strategy.isTelemetry != entry.isTelemetry {
                reason = "its strategy changed"
            } else if table.journalKey != entry.key {
                reason = "its key changed"
            } else if try !CaptureCatalog.hasTriggers(db, entry) {
                reason = "its triggers were gone (the table was recreated)"
            } else if entry.sweepMark != nil, table.rowidAlias == nil {
                reason = "its key is no longer the rowid"
            } else {
                reason = nil
            }
            guard let reason else {
                if entry.sweepMark == nil, table.rowidAlias != nil {
                    captured.append(try CaptureCatalog.startSweeping(db, entry))
                    changes.append(
                        CaptureChange(table: table.name, message: "inserts above the highest key are swept from now on")
                    )
                } else {
                    captured.append(entry)
                }
                continue
            }
            try CaptureCatalog.remove(db, entry)
            try LegacyJournal.discard(db, table: entry.name)
            let renewed = try CaptureCatalog.install(db, table, epoch: newEpoch(), snapshot: true)
            captured.append(renewed)
            changes.append(
                CaptureChange(
                    table: table.name,
                    message: "\(reason): capture renewed under journal_epoch \(renewed.epoch), with a snapshot"
                )
            )
        }
        let known = Set(captured.map(\.name))
        for table in discovered where table.isCaptured && !known.contains(table.name) {
            // Telemetry starts at the beginning of the table (docs/spec/agent.md).
            let snapshot = snapshotNewTables || table.strategy.isTelemetry
            captured.append(try CaptureCatalog.install(db, table, epoch: newEpoch(), snapshot: snapshot))
            changes.append(
                CaptureChange(table: table.name, message: "capture started" + (snapshot ? " with a snapshot" : ""))
            )
        }
        let strays = try CaptureCatalog.strays(db, keeping: captured)
        try CaptureCatalog.drop(db, strays)
        for stray in strays where stray.type == "trigger" {
            changes.append(CaptureChange(table: stray.name, message: "dropped a capture trigger no table needs"))
        }
        return (captured, changes)
    }

    /// Starts capture afresh for every table (the database file was replaced, or the agent's
    /// state is new): new epochs and snapshots, so the mirrors converge on this file's rows.
    static func renewAll(
        _ db: SQLiteDatabase,
        discovered: [SourceTable],
        newEpoch: () -> String
    ) throws -> [CapturedTable] {
        try CaptureCatalog.create(db)
        for entry in try CaptureCatalog.tables(db) { try CaptureCatalog.remove(db, entry) }
        if try LegacyJournal.journalExists(db) { try db.execute("DROP TABLE \"\(LegacyJournal.journal)\"") }
        return try reconcile(db, discovered: discovered, snapshotNewTables: true, newEpoch: newEpoch).tables
    }
}

extension TableStrategy {
    var isTelemetry: Bool {
        if case .telemetry = self { return true }
        return false
    }
}

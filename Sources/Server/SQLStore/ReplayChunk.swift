import EdgeSyncModels

/// The staged rows one replay step materializes, in replay order (commit order, or time for
/// samples), parsed and with their keys hashed: what a step needs before it touches the target.
struct ReplayChunk: Sendable {
    var lineageID: String
    var strategy: LineageStrategy
    var rows: [StagedRow]
    /// Rows lineages: the rows' changes, in order.
    var changes: [RowChange]
    /// Telemetry lineages: the samples, in order.
    var samples: [Sample]
    /// Rows lineages read ahead: the changes in their stored form for `target` (in place of
    /// `changes`, and of the rows' keys and values).
    var prepared: PreparedMirrorRun?

    /// `keyHashes`: each row's stored key hash, nil for a row staged without one (by a release
    /// before the store's v9), whose key is hashed here.
    init(lineageID: String, strategy: LineageStrategy, rows: [StagedRow], keyHashes: [String?]) {
        self.lineageID = lineageID
        self.strategy = strategy
        self.rows = rows
        if strategy == .rows {
            changes = zip(rows, keyHashes).map { row, hash in
                RowChange(
                    op: row.op ?? .insert,
                    pk: row.pk ?? [:],
                    pkHash: hash ?? PrimaryKeyHash.hash(of: row.pk ?? [:]),
                    row: row.row,
                    epoch: row.journalEpoch ?? "",
                    seq: row.commitSeq ?? 0
                )
            }
            samples = []
        } else {
            changes = []
            samples = rows.map { Sample(ts: $0.ts ?? Timestamp(ns: 0), rowID: $0.rowID, fields: $0.row ?? [:]) }
        }
    }

    /// Converts the changes for `writer`'s target, so that the step that takes the chunk has only
    /// to write them, and drops what it then no longer needs (freed here, not on the writer).
    mutating func prepare(for writer: MirrorWriter) {
        guard strategy == .rows else { return }
        prepared = writer.prepare(changes)
        changes = []
        for index in rows.indices {
            rows[index].pk = nil
            rows[index].row = nil
        }
    }

    /// The first `limit` staged rows of the lineage in replay order, or of those after `after`
    /// (a chunk's `end`). Its conditions match the partial indexes' (SQLite v4, PostgreSQL v6),
    /// so the order and the start come from an index (`SQLDialect.indexOrder`).
    static func read(
        _ tx: any SQLTransaction,
        lineageID: String,
        strategy: LineageStrategy,
        after: [SQLValue]? = nil,
        limit: Int
    ) throws -> ReplayChunk {
        let rows = try tx.inIndexOrder {
            try tx.query(
                sql(strategy, resuming: after != nil),
                [.text(lineageID)] + (after ?? []) + [.integer(Int64(limit))]
            )
        }
        return ReplayChunk(
            lineageID: lineageID,
            strategy: strategy,
            rows: rows.map(SQLGovernanceStore.stagedRow),
            keyHashes: rows.map { $0[keyHashColumn].text }
        )
    }

    /// Where `sql`'s rows hold the key hash: right after `stagedRowColumns`.
    static let keyHashColumn = SQLGovernanceStore.stagedRowColumns.split(separator: ",").count

    /// The SELECT of `read`: bound with the lineage, the end of the chunk before when
    /// `resuming`, and the limit.
    static func sql(_ strategy: LineageStrategy, resuming: Bool) -> String {
        let (kind, columns) = order(strategy)
        let list = columns.joined(separator: ", ")
        let start = resuming ? " AND (\(list)) > \(BulkSQL.tuple(columns.count))" : ""
        return """
            SELECT \(SQLGovernanceStore.stagedRowColumns), pk_hash FROM staged_row WHERE lineage_id = ? AND \(kind)\(start) \
            ORDER BY \(list) LIMIT ?
            """
    }

    /// Where the chunk ends in replay order; nil when it is empty.
    var end: [SQLValue]? { rows.last.map(position) }

    /// A row's place in replay order.
    private func position(_ row: StagedRow) -> [SQLValue] {
        strategy == .rows
            ? [.text(row.journalEpoch ?? ""), .integer(row.commitSeq ?? 0), .integer(row.id)]
            : [.integer(row.ts?.ns ?? 0), .integer(row.id)]
    }

    /// Whether the chunk, read earlier, is still exactly the lineage's first staged rows: as many
    /// rows are staged from its start to its end as it holds, and none before it. (The step that
    /// takes it checks that each of its rows was still staged when it deletes them.) The count
    /// reads the chunk's range alone: counted from the lineage's start, it went over every row
    /// replayed before, which PostgreSQL keeps in its indexes until a vacuum. The check for a row
    /// before the start stops at the first it finds; on the way it passes those replayed rows,
    /// whose entries PostgreSQL's index scan marks dead the first time and skips quickly after.
    func isFirst(_ tx: any SQLTransaction) throws -> Bool {
        guard let first = rows.first, let end else { return false }
        let (kind, columns) = Self.order(strategy)
        let list = columns.joined(separator: ", ")
        let tuple = BulkSQL.tuple(columns.count)
        let lineage = SQLValue.text(lineageID)
        return try tx.inIndexOrder {
            let staged = try tx.value(
                "SELECT count(*) FROM staged_row WHERE lineage_id = ? AND \(kind) AND (\(list)) >= \(tuple) AND (\(list)) <= \(tuple)",
                [lineage] + position(first) + end
            )
            guard staged?.integer == Int64(rows.count) else { return false }
            return try !tx.exists(
                "SELECT 1 FROM staged_row WHERE lineage_id = ? AND \(kind) AND (\(list)) < \(tuple) ORDER BY \(list) LIMIT 1",
                [lineage] + position(first)
            )
        }
    }

    /// The condition that selects the strategy's staged rows, and the columns of replay order.
    private static func order(_ strategy: LineageStrategy) -> (kind: String, columns: [String]) {
        strategy == .rows
            ? ("commit_seq IS NOT NULL", ["journal_epoch", "commit_seq", "id"])
            : ("ts_ns IS NOT NULL", ["ts_ns", "id"])
    }
}

import EdgeSyncModels

/// The staged rows one replay step materializes, in replay order (commit order, or time for
/// samples), parsed and with their keys hashed: what a step needs before it touches the target.
struct ReplayChunk: Sendable {
    /// What a step needs of a staged row besides its change or sample: no more, since a chunk is
    /// built on the read-ahead but freed after the step, on the replay's way to the next one.
    struct Row: Sendable {
        var id: Int64
        var bytes: Int64
        /// Rows lineages: the journal position.
        var journalEpoch: String
        var commitSeq: Int64
        /// Telemetry lineages: the sample time.
        var ts: Int64
    }

    var lineageID: String
    var strategy: LineageStrategy
    var rows: [Row]
    /// Rows lineages: the rows' changes, in order.
    var changes: [RowChange]
    /// Telemetry lineages: the samples, in order.
    var samples: [Sample]
    /// Rows lineages read ahead: the changes in their stored form for `target` (in place of
    /// `changes`).
    var prepared: PreparedMirrorRun?

    /// What `sql` selects of each staged row, in order.
    enum Column: Int, CaseIterable {
        case id, bytes, journalEpoch, commitSeq, ts, op, pk, row, rowID, keyHash

        /// Every column, as `sql` selects them.
        static let list = allCases.map(\.name).joined(separator: ", ")

        var name: String {
            switch self {
            case .id: "id"
            case .bytes: "bytes"
            case .journalEpoch: "journal_epoch"
            case .commitSeq: "commit_seq"
            case .ts: "ts_ns"
            case .op: "op"
            case .pk: "pk_json"
            case .row: "row_json"
            case .rowID: "row_id"
            case .keyHash: "pk_hash"
            }
        }
    }

    /// `staged`: rows as `sql` selects them. A row staged without a key hash (by a release before
    /// the store's v9) has its key hashed here.
    init(lineageID: String, strategy: LineageStrategy, staged: [SQLRow]) {
        self.lineageID = lineageID
        self.strategy = strategy
        rows = []
        rows.reserveCapacity(staged.count)
        changes = []
        samples = []
        // A chunk's rows mostly share their epoch: one string for all of them, which the plan
        // then compares by identity.
        var epoch = ""
        for row in staged {
            func value(_ column: Column) -> SQLValue { row[column.rawValue] }
            let rowEpoch = value(.journalEpoch).text ?? ""
            if rowEpoch != epoch { epoch = rowEpoch }
            let commitSeq = value(.commitSeq).integer ?? 0
            let ts = value(.ts).integer ?? 0
            let (id, bytes) = (value(.id).integer ?? 0, value(.bytes).integer ?? 0)
            rows.append(Row(id: id, bytes: bytes, journalEpoch: epoch, commitSeq: commitSeq, ts: ts))
            let fields = value(.row).text.flatMap(SQLGovernanceStore.object)
            if strategy == .rows {
                let pk = value(.pk).text.flatMap(SQLGovernanceStore.object) ?? [:]
                changes.append(
                    RowChange(
                        op: value(.op).text.flatMap(RowOperation.init) ?? .insert,
                        pk: pk,
                        pkHash: value(.keyHash).text ?? PrimaryKeyHash.hash(of: pk),
                        row: fields,
                        epoch: epoch,
                        seq: commitSeq
                    )
                )
            } else {
                samples.append(Sample(ts: Timestamp(ns: ts), rowID: value(.rowID).text, fields: fields ?? [:]))
            }
        }
    }

    /// Converts the changes for `writer`'s target, so that the step that takes the chunk has only
    /// to write them, and drops the parsed changes (freed here, not on the writer).
    mutating func prepare(for writer: MirrorWriter) {
        guard strategy == .rows else { return }
        prepared = writer.prepare(changes)
        changes = []
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
        let rows = try query(tx, lineageID: lineageID, strategy: strategy, after: after, limit: limit)
        return ReplayChunk(lineageID: lineageID, strategy: strategy, staged: rows)
    }

    /// The first `limit` staged rows of the lineage in replay order, whole: what an approval's
    /// preview shows of what its replay would write.
    static func first(
        _ tx: any SQLTransaction,
        lineageID: String,
        strategy: LineageStrategy,
        limit: Int
    ) throws -> [StagedRow] {
        try query(
            tx,
            lineageID: lineageID,
            strategy: strategy,
            selecting: SQLGovernanceStore.stagedRowColumns,
            limit: limit
        ).map(SQLGovernanceStore.stagedRow)
    }

    /// Runs `sql` in index order with its binds.
    private static func query(
        _ tx: any SQLTransaction,
        lineageID: String,
        strategy: LineageStrategy,
        selecting selected: String = Column.list,
        after: [SQLValue]? = nil,
        limit: Int
    ) throws -> [SQLRow] {
        try tx.inIndexOrder {
            try tx.query(
                sql(strategy, selecting: selected, resuming: after != nil),
                [.text(lineageID)] + (after ?? []) + [.integer(Int64(limit))]
            )
        }
    }

    /// The SELECT of `read` (or of the `selected` columns): bound with the lineage, the end of
    /// the chunk before when `resuming`, and the limit.
    static func sql(
        _ strategy: LineageStrategy,
        selecting selected: String = Column.list,
        resuming: Bool
    ) -> String {
        let (kind, columns) = order(strategy)
        let list = columns.joined(separator: ", ")
        let start = resuming ? " AND (\(list)) > \(BulkSQL.tuple(columns.count))" : ""
        return """
            SELECT \(selected) FROM staged_row \
            WHERE lineage_id = ? AND \(kind)\(start) ORDER BY \(list) LIMIT ?
            """
    }

    /// Where the chunk ends in replay order; nil when it is empty.
    var end: [SQLValue]? { rows.last.map(position) }

    /// A row's place in replay order.
    private func position(_ row: Row) -> [SQLValue] {
        strategy == .rows
            ? [.text(row.journalEpoch), .integer(row.commitSeq), .integer(row.id)]
            : [.integer(row.ts), .integer(row.id)]
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

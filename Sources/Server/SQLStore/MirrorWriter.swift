import EdgeSyncModels

/// Why a row could not be materialized. Permanent errors count toward the breaker; transient
/// ones (the database was busy or full) are retried.
public enum MaterializationError: Error, Sendable, Hashable, CustomStringConvertible {
    case permanent(String)
    case transient(String)

    public var code: String {
        switch self {
        case .permanent: "materialization_permanent"
        case .transient: "materialization_transient"
        }
    }

    public var description: String {
        switch self {
        case .permanent(let message), .transient(let message): "\(code): \(message)"
        }
    }

    public var isPermanent: Bool {
        if case .permanent = self { return true }
        return false
    }

    /// The dialect knows which of its database's errors go away by themselves.
    static func classify(_ error: any Error, _ dialect: any SQLDialect) -> MaterializationError {
        if let error = error as? MaterializationError { return error }
        let message = dialect.message(of: error)
        return dialect.isTransient(error) ? .transient(message) : .permanent(message)
    }
}

/// One row change to materialize, as a batch or a staged row carries it.
struct RowChange {
    var op: RowOperation
    var pk: JSONObject
    /// `PrimaryKeyHash.hash(of: pk)`.
    var pkHash: String
    var row: JSONObject?
    var epoch: String
    var seq: Int64
}

/// One telemetry sample to append.
struct Sample {
    var ts: Timestamp
    var rowID: String?
    var fields: JSONObject
}

/// Writes runs of rows into one lineage's target inside the caller's transaction
/// (docs/spec/governance.md, "Row semantics"), a few multi-row statements per run: the held
/// versions of the run's keys are read at once, `MirrorRunPlan` works out each key's final state,
/// and deletes, upserts and tombstones are written set-based.
struct MirrorWriter {
    let target: MaterializationTarget
    let lineageID: String
    let deviceID: String
    var keepTombstones: Bool
    private let dialect: any SQLDialect
    /// What depends only on the target, worked out once per writer rather than once per run.
    private let keyColumns: [MaterializationTarget.Column]
    private let dataColumns: [MaterializationTarget.Column]
    private let table: String
    private let keyClause: String
    /// How the primary key's values are bound (`_device_id` first when coalesced).
    private let keySetColumns: [SQLRowSetColumn]

    init(
        target: MaterializationTarget,
        lineageID: String,
        deviceID: String,
        keepTombstones: Bool,
        dialect: any SQLDialect
    ) {
        self.target = target
        self.lineageID = lineageID
        self.deviceID = deviceID
        self.keepTombstones = keepTombstones
        self.dialect = dialect
        keyColumns = target.keyColumns
        dataColumns = target.columns.filter { $0.pkOrdinal == 0 }
        table = SQLIdentifier.quote(target.table)
        keyClause = target.primaryKey.map { "\(SQLIdentifier.quote($0)) = ?" }.joined(separator: " AND ")
        keySetColumns =
            (target.coalesced ? [.text] : []) + target.keyColumns.map { SQLRowSetColumn($0.affinity, dialect: dialect) }
    }

    /// A wire value as `column` stores it.
    private func value(_ value: JSONValue, _ column: MaterializationTarget.Column) throws -> SQLValue {
        try MirrorValue.stored(value, column, strict: dialect.strictTypes)
    }

    /// Applies a run of row changes in their order; returns the change in the mirror's row count.
    func apply(_ tx: any SQLTransaction, _ changes: some Collection<RowChange>, now: Timestamp) throws -> Int {
        let planned = try changes.map(change)
        return try apply(tx, planned: planned, keys: MirrorRunPlan.keys(of: planned), now: now)
    }

    /// `apply` of the changes in `range` of a run `prepare` converted for this writer's target.
    func apply(_ tx: any SQLTransaction, _ run: PreparedMirrorRun, _ range: Range<Int>, now: Timestamp) throws -> Int {
        let planned: [MirrorRunPlan.Change]
        switch run.changes {
        case .converted(let changes, let keys) where range == changes.indices:
            return try apply(tx, planned: changes, keys: keys, now: now)
        case .converted(let changes, _):
            planned = Array(changes[range])
        case .mixed(let changes):
            planned = try changes[range].map { try $0.get() }
        }
        return try apply(tx, planned: planned, keys: MirrorRunPlan.keys(of: planned), now: now)
    }

    /// Converts changes to their stored form ahead of the transaction that applies them. A change
    /// that does not convert fails the run that applies it, as in `apply`. A run that converts
    /// whole (the usual case) is kept as the plain array the writer takes, not copied out of
    /// results on the writer.
    func prepare(_ changes: some Collection<RowChange>) -> PreparedMirrorRun {
        var converted: [MirrorRunPlan.Change] = []
        converted.reserveCapacity(changes.count)
        for (offset, change) in changes.enumerated() {
            do throws(MaterializationError) {
                converted.append(try self.change(change))
            } catch {
                // Those before keep their conversion; only the rest are converted now.
                var results = converted.map { Result<MirrorRunPlan.Change, MaterializationError>.success($0) }
                results.append(.failure(error))
                for later in changes.dropFirst(offset + 1) {
                    results.append(Result { () throws(MaterializationError) in try self.change(later) })
                }
                return PreparedMirrorRun(target: target, changes: .mixed(results))
            }
        }
        return PreparedMirrorRun(
            target: target,
            changes: .converted(converted, keys: MirrorRunPlan.keys(of: converted))
        )
    }

    private func apply(
        _ tx: any SQLTransaction,
        planned: [MirrorRunPlan.Change],
        keys: (keys: [[SQLValue]], changes: [[Int]]),
        now: Timestamp
    ) throws -> Int {
        let (keys, grouped) = keys
        let upserts = planned.contains { $0.op != .delete }
        let plan = MirrorRunPlan(
            changes: planned,
            keys: keys,
            grouped: grouped,
            held: try heldVersions(tx, keys),
            heldTombstones: keepTombstones && upserts ? try heldTombstones(tx, planned) : [:],
            keepTombstones: keepTombstones
        )
        let outcomes = plan.outcomes
        let removed = outcomes.indices.filter { outcomes[$0].initiallyPresent && !outcomes[$0].present }
        try delete(tx, removed.map { outcomes[$0].key })
        // Outcomes are grouped and bound by position rather than copied (each holds a key and values).
        let written = outcomes.indices.filter { outcomes[$0].present && outcomes[$0].changed }
        let shapes = Dictionary(grouping: written) { index in
            outcomes[index].replaceAll ? nil : outcomes[index].assigned.keys.sorted()
        }
        for (shape, indices) in shapes {
            try upsert(tx, outcomes, indices, columns: shape ?? Array(dataColumns.indices), now: now)
        }
        try writeTombstones(tx, plan.tombstones)
        return plan.delta
    }

    private func change(_ change: RowChange) throws(MaterializationError) -> MirrorRunPlan.Change {
        let (dataKey, data) = try MirrorValue.rowValues(
            op: change.op,
            pk: change.pk,
            row: change.row,
            keyColumns: keyColumns,
            dataColumns: dataColumns,
            strict: dialect.strictTypes
        )
        return MirrorRunPlan.Change(
            op: change.op,
            key: (target.coalesced ? [.text(deviceID)] : []) + dataKey,
            pkHash: change.pkHash,
            version: MirrorRunPlan.Version(epoch: change.epoch, seq: change.seq),
            data: data
        )
    }

    /// The version each key's mirror row holds (nil: no row), matched by the database itself
    /// (each key is numbered in a VALUES list joined to the table).
    private func heldVersions(_ tx: any SQLTransaction, _ keys: [[SQLValue]]) throws -> [MirrorRunPlan.Version?] {
        var held = [MirrorRunPlan.Version?](repeating: nil, count: keys.count)
        let join = target.primaryKey.enumerated().map {
            "t.\(SQLIdentifier.quote($0.element)) = v.column\($0.offset + 2)"
        }
        let numbered = keys.enumerated().map { index, key in
            var row: [SQLValue] = []
            row.reserveCapacity(key.count + 1)
            row.append(.integer(Int64(index)))
            row += key
            return row
        }
        let rows = try tx.rowSet(numbered, columns: [.integer] + keySetColumns) {
            """
            SELECT v.column1, t._journal_epoch, t._commit_seq FROM (\($0)) AS v
            JOIN \(table) t ON \(join.joined(separator: " AND "))
            """
        }
        for row in rows {
            guard let index = row[0].integer.map(Int.init), held.indices.contains(index) else { continue }
            held[index] = MirrorRunPlan.Version(epoch: row[1].text ?? "", seq: row[2].integer ?? 0)
        }
        return held
    }

    /// The tombstones of the changes' keys, by pk hash.
    private func heldTombstones(
        _ tx: any SQLTransaction,
        _ changes: [MirrorRunPlan.Change]
    ) throws -> [String: MirrorRunPlan.Version] {
        var tombstones: [String: MirrorRunPlan.Version] = [:]
        // Most lineages never delete: one probe spares looking up every key of the run.
        guard try tx.exists("SELECT 1 FROM mirror_tombstone WHERE lineage_id = ? LIMIT 1", [.text(lineageID)]) else {
            return tombstones
        }
        let hashes = Set(changes.map(\.pkHash))
        let rows = try tx.bulk(hashes.map { [SQLValue.text($0)] }, leading: [.text(lineageID)]) {
            "SELECT pk_hash, journal_epoch, commit_seq FROM mirror_tombstone WHERE lineage_id = ? AND pk_hash IN \(BulkSQL.tuple($0))"
        }
        for row in rows {
            tombstones[row[0].text ?? ""] = MirrorRunPlan.Version(epoch: row[1].text ?? "", seq: row[2].integer ?? 0)
        }
        return tombstones
    }

    private func delete(_ tx: any SQLTransaction, _ keys: [[SQLValue]]) throws {
        let columns = "(" + target.primaryKey.map(SQLIdentifier.quote).joined(separator: ", ") + ")"
        try tx.rowSet(keys, columns: keySetColumns) { "DELETE FROM \(table) WHERE \(columns) IN (\($0))" }
    }

    /// Inserts the rows of the outcomes at `indices`, or updates `columns` (data column indexes)
    /// and the platform columns of those the table holds; a data column a row does not assign is
    /// NULL.
    private func upsert(
        _ tx: any SQLTransaction,
        _ outcomes: [MirrorRunPlan.Outcome],
        _ indices: [Int],
        columns: [Int],
        now: Timestamp
    ) throws {
        let data = columns.map { dataColumns[$0] }
        let platform = ["_journal_epoch", "_commit_seq", "_updated_at"]
        let names =
            (target.coalesced ? [] : ["_device_id"]) + target.primaryKey + platform + data.map(\.target)
        let setColumns =
            (target.coalesced ? [] : [.text]) + keySetColumns + [.text, .integer, .timestamp(dialect)]
            + data.map { SQLRowSetColumn($0.affinity, dialect: dialect) }
        let updates = (platform + data.map(\.target)).map {
            "\(SQLIdentifier.quote($0)) = excluded.\(SQLIdentifier.quote($0))"
        }
        let updatedAt = SQLValue.text(now.sortableDescription)
        let rows = indices.map { index -> [SQLValue] in
            var binds: [SQLValue] = []
            binds.reserveCapacity(setColumns.count)
            if !target.coalesced { binds.append(.text(deviceID)) }
            binds.append(contentsOf: outcomes[index].key)
            let version = outcomes[index].version
            binds.append(.text(version?.epoch ?? ""))
            binds.append(.integer(version?.seq ?? 0))
            binds.append(updatedAt)
            for column in columns { binds.append(outcomes[index].assigned[column] ?? .null) }
            return binds
        }
        try tx.rowSet(rows, columns: setColumns) {
            """
            INSERT INTO \(table) (\(names.map(SQLIdentifier.quote).joined(separator: ", "))) \
            \($0) \
            ON CONFLICT (\(target.primaryKey.map(SQLIdentifier.quote).joined(separator: ", "))) \
            DO UPDATE SET \(updates.joined(separator: ", "))
            """
        }
    }

    private func writeTombstones(_ tx: any SQLTransaction, _ tombstones: [String: MirrorRunPlan.Version]) throws {
        try tx.rowSet(
            tombstones.map { [.text(lineageID), .text($0.key), .text($0.value.epoch), .integer($0.value.seq)] },
            columns: [.text, .text, .text, .integer]
        ) {
            """
            INSERT INTO mirror_tombstone \($0)
            ON CONFLICT (lineage_id, pk_hash) DO UPDATE SET
            journal_epoch = excluded.journal_epoch, commit_seq = excluded.commit_seq
            """
        }
    }

    /// Appends telemetry samples to the series; a field a sample lacks is NULL.
    func append(_ tx: any SQLTransaction, _ samples: some Collection<Sample>) throws {
        let names = ["device_id", "event_ts", "row_id"] + target.columns.map(\.target)
        let setColumns =
            [.text, .timestamp(dialect), .text] + target.columns.map { SQLRowSetColumn($0.affinity, dialect: dialect) }
        let rows = try samples.map { sample -> [SQLValue] in
            [.text(deviceID), .text(sample.ts.sortableDescription), SQLValue(sample.rowID)]
                + (try target.columns.map { column in
                    try sample.fields[column.source].map { try value($0, column) } ?? .null
                })
        }
        try tx.rowSet(rows, columns: setColumns) {
            "INSERT INTO \(table) (\(names.map(SQLIdentifier.quote).joined(separator: ", "))) \($0)"
        }
    }

    /// Upserts a cloud write of a cloud-authoritative mirror with the next `_cloud_version`;
    /// returns that version and whether the row is new.
    func writeBack(
        _ tx: any SQLTransaction,
        _ row: WriteBack.Row,
        now: Timestamp
    ) throws -> (version: Int64, added: Bool) {
        let byTarget = Dictionary(target.columns.map { ($0.target, $0) }, uniquingKeysWith: { first, _ in first })
        func stored(_ value: JSONValue, _ column: String) throws -> SQLValue {
            guard let bound = byTarget[column] else {
                return try MirrorValue.stored(value, column: column, affinity: .blob, strict: false)
            }
            return try self.value(value, bound)
        }
        let dataKey = try row.key.map { try stored($0.value, $0.column) }
        let key = (target.coalesced ? [.text(deviceID)] : []) + dataKey
        let held = try tx.first("SELECT _cloud_version FROM \(table) WHERE \(keyClause)", key)
        let version = (held?[0].integer ?? 0) + 1
        let assigned: [(String, SQLValue)] =
            [("_cloud_version", .integer(version)), ("_updated_at", .text(now.sortableDescription))]
            + (try row.values.map { ($0.column, try stored($0.value, $0.column)) })
        let placeholder = { (column: String) -> String in
            column == "_updated_at"
                ? dialect.timestamp("?") : byTarget[column].map { dialect.bound("?", as: $0.affinity) } ?? "?"
        }
        if held != nil {
            let assignments = assigned.map { "\(SQLIdentifier.quote($0.0)) = \(placeholder($0.0))" }
            try tx.execute(
                "UPDATE \(table) SET \(assignments.joined(separator: ", ")) WHERE \(keyClause)",
                assigned.map(\.1) + key
            )
            return (version, false)
        }
        let all =
            [("_device_id", .text(deviceID)), ("_journal_epoch", .text("")), ("_commit_seq", .integer(0))] + assigned
            + zip(row.key.map(\.column), dataKey).map { ($0, $1) }
        try tx.execute(
            """
            INSERT INTO \(table) (\(all.map { SQLIdentifier.quote($0.0) }.joined(separator: ", "))) \
            VALUES (\(all.map { placeholder($0.0) }.joined(separator: ", ")))
            """,
            all.map(\.1)
        )
        return (version, true)
    }
}

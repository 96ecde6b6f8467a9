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

/// Writes rows into one lineage's target inside the caller's transaction (docs/spec/governance.md, "Row
/// semantics"): upsert by PK, delete, and skip anything older, by `(journal_epoch, commit_seq)`,
/// than what the mirror holds. While a replay backlog exists, deletes leave tombstones so an
/// older staged insert replayed later cannot bring a deleted row back.
struct MirrorWriter {
    let target: MaterializationTarget
    let lineageID: String
    let deviceID: String
    var keepTombstones: Bool
    /// What depends only on the target, worked out once per writer rather than once per row.
    private let keyColumns: [MaterializationTarget.Column]
    private let dataColumns: [MaterializationTarget.Column]
    private let table: String
    private let keyClause: String
    private let selectHeld: String
    private let deleteRow: String
    private let dialect: any SQLDialect
    /// The UPDATE and INSERT of a row that carries every data column (the usual case).
    private let fullUpdate: String
    private let fullInsert: String
    /// A series sample that carries every bound field.
    private let fullAppend: String

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
        selectHeld = "SELECT _journal_epoch, _commit_seq FROM \(table) WHERE \(keyClause)"
        deleteRow = "DELETE FROM \(table) WHERE \(keyClause)"
        let platform = ["_journal_epoch", "_commit_seq", "_updated_at"]
        fullUpdate = Self.update(
            table: table,
            columns: platform + dataColumns.map(\.target),
            keyClause: keyClause,
            dialect
        )
        fullInsert = Self.insert(
            table: table,
            columns: ["_device_id"] + platform + keyColumns.map(\.target) + dataColumns.map(\.target),
            dialect
        )
        fullAppend = Self.insert(
            table: table,
            columns: ["device_id", "event_ts", "row_id"] + target.columns.map(\.target),
            dialect
        )
    }

    /// A placeholder for `column`: times are bound as RFC 3339 text.
    static func placeholder(_ column: String, _ dialect: any SQLDialect) -> String {
        column == "_updated_at" || column == "event_ts" ? dialect.timestamp("?") : "?"
    }

    static func update(table: String, columns: [String], keyClause: String, _ dialect: any SQLDialect) -> String {
        let assignments = columns.map { "\(SQLIdentifier.quote($0)) = \(placeholder($0, dialect))" }
        return "UPDATE \(table) SET \(assignments.joined(separator: ", ")) WHERE \(keyClause)"
    }

    static func insert(table: String, columns: [String], _ dialect: any SQLDialect) -> String {
        """
        INSERT INTO \(table) (\(columns.map(SQLIdentifier.quote).joined(separator: ", "))) \
        VALUES (\(columns.map { placeholder($0, dialect) }.joined(separator: ", ")))
        """
    }

    /// Applies one row change; returns the change in the mirror's row count.
    func apply(
        _ tx: any SQLTransaction,
        op: RowOperation,
        pk: JSONObject,
        row: JSONObject?,
        epoch: String,
        seq: Int64,
        now: Timestamp
    ) throws -> Int {
        let dataKey = try keyColumns.map { column -> SQLValue in
            guard let value = pk[column.source] ?? row?[column.source] else {
                throw MaterializationError.permanent("the row has no value for primary-key column \(column.source)")
            }
            return try Self.value(value, column: column.source)
        }
        let keyValues = (target.coalesced ? [.text(deviceID)] : []) + dataKey
        let held = try tx.first(selectHeld, keyValues)
        if let held, !Self.isNewer(epoch, seq, than: held[0].text ?? "", held[1].integer ?? 0) { return 0 }
        let pkHash = PrimaryKeyHash.hash(of: pk)
        switch op {
        case .delete:
            if keepTombstones {
                try tx.execute(
                    """
                    INSERT INTO mirror_tombstone VALUES (?, ?, ?, ?) ON CONFLICT (lineage_id, pk_hash) DO UPDATE SET
                    journal_epoch = excluded.journal_epoch, commit_seq = excluded.commit_seq
                    WHERE (excluded.journal_epoch, excluded.commit_seq) > (mirror_tombstone.journal_epoch, mirror_tombstone.commit_seq)
                    """,
                    [.text(lineageID), .text(pkHash), .text(epoch), .integer(seq)]
                )
            }
            guard held != nil else { return 0 }
            try tx.execute(deleteRow, keyValues)
            return -1
        case .insert, .update:
            // Tombstones exist only while a backlog does (the replay's completion clears them).
            if keepTombstones,
                let tombstone = try tx.first(
                    "SELECT journal_epoch, commit_seq FROM mirror_tombstone WHERE lineage_id = ? AND pk_hash = ?",
                    [.text(lineageID), .text(pkHash)]
                ),
                !Self.isNewer(epoch, seq, than: tombstone[0].text ?? "", tombstone[1].integer ?? 0)
            {
                return 0
            }
            guard let row else { throw MaterializationError.permanent("an \(op.rawValue) without a row") }
            let data = try dataColumns.compactMap { column -> (String, SQLValue)? in
                guard let value = row[column.source] else { return nil }
                return (column.target, try Self.value(value, column: column.source))
            }
            let platform: [(String, SQLValue)] = [
                ("_journal_epoch", .text(epoch)), ("_commit_seq", .integer(seq)),
                ("_updated_at", .text(now.sortableDescription)),
            ]
            let complete = data.count == dataColumns.count
            if held != nil {
                let sql =
                    complete
                    ? fullUpdate
                    : Self.update(table: table, columns: (platform + data).map(\.0), keyClause: keyClause, dialect)
                try tx.execute(sql, (platform + data).map(\.1) + keyValues)
                return 0
            }
            let all =
                [("_device_id", SQLValue.text(deviceID))] + platform
                + zip(keyColumns.map(\.target), dataKey).map { ($0, $1) } + data
            try tx.execute(
                complete ? fullInsert : Self.insert(table: table, columns: all.map(\.0), dialect),
                all.map(\.1)
            )
            return 1
        }
    }

    /// Appends one telemetry sample to the series.
    func append(_ tx: any SQLTransaction, ts: Timestamp, rowID: String?, fields: JSONObject) throws {
        let data = try target.columns.compactMap { column -> (String, SQLValue)? in
            guard let value = fields[column.source] else { return nil }
            return (column.target, try Self.value(value, column: column.source))
        }
        let all: [(String, SQLValue)] =
            [("device_id", .text(deviceID)), ("event_ts", .text(ts.sortableDescription)), ("row_id", SQLValue(rowID))]
            + data
        let sql =
            data.count == target.columns.count ? fullAppend : Self.insert(table: table, columns: all.map(\.0), dialect)
        try tx.execute(sql, all.map(\.1))
    }

    /// Upserts a cloud write of a cloud-authoritative mirror with the next `_cloud_version`;
    /// returns that version and whether the row is new.
    func writeBack(
        _ tx: any SQLTransaction,
        _ row: WriteBack.Row,
        now: Timestamp
    ) throws -> (version: Int64, added: Bool) {
        let dataKey = try row.key.map { try Self.value($0.value, column: $0.column) }
        let key = (target.coalesced ? [.text(deviceID)] : []) + dataKey
        let held = try tx.first("SELECT _cloud_version FROM \(table) WHERE \(keyClause)", key)
        let version = (held?[0].integer ?? 0) + 1
        let assigned: [(String, SQLValue)] =
            [("_cloud_version", .integer(version)), ("_updated_at", .text(now.sortableDescription))]
            + (try row.values.map { ($0.column, try Self.value($0.value, column: $0.column)) })
        if held != nil {
            try tx.execute(
                Self.update(table: table, columns: assigned.map(\.0), keyClause: keyClause, dialect),
                assigned.map(\.1) + key
            )
            return (version, false)
        }
        let all =
            [("_device_id", .text(deviceID)), ("_journal_epoch", .text("")), ("_commit_seq", .integer(0))] + assigned
            + zip(row.key.map(\.column), dataKey).map { ($0, $1) }
        try tx.execute(Self.insert(table: table, columns: all.map(\.0), dialect), all.map(\.1))
        return (version, true)
    }

    static func isNewer(_ epoch: String, _ seq: Int64, than heldEpoch: String, _ heldSeq: Int64) -> Bool {
        epoch == heldEpoch ? seq > heldSeq : epoch > heldEpoch
    }

    /// A wire value as the column stores it.
    static func value(_ value: JSONValue, column: String) throws -> SQLValue {
        guard let stored = SQLValue(wire: value) else {
            throw MaterializationError.permanent("column \(column): $hex is not hexadecimal")
        }
        return stored
    }
}

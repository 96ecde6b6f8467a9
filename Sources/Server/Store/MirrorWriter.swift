import EdgeSyncModels
import Foundation
import GRDB

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

    /// SQLite errors that go away by themselves count as transient; everything else is permanent.
    static func classify(_ error: any Error) -> MaterializationError {
        if let error = error as? MaterializationError { return error }
        if let error = error as? DatabaseError,
            [.SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_NOMEM].contains(error.resultCode)
        {
            return .transient(error.message ?? "\(error.resultCode)")
        }
        if let error = error as? DatabaseError { return .permanent(error.message ?? "\(error.resultCode)") }
        return .permanent("\(error)")
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
    /// The UPDATE and INSERT of a row that carries every data column (the usual case).
    private let fullUpdate: String
    private let fullInsert: String
    /// A series sample that carries every bound field.
    private let fullAppend: String

    init(target: MaterializationTarget, lineageID: String, deviceID: String, keepTombstones: Bool) {
        self.target = target
        self.lineageID = lineageID
        self.deviceID = deviceID
        self.keepTombstones = keepTombstones
        keyColumns = target.keyColumns
        dataColumns = target.columns.filter { $0.pkOrdinal == 0 }
        table = SQLIdentifier.quote(target.table)
        keyClause = target.primaryKey.map { "\(SQLIdentifier.quote($0)) = ?" }.joined(separator: " AND ")
        selectHeld = "SELECT _journal_epoch, _commit_seq FROM \(table) WHERE \(keyClause)"
        deleteRow = "DELETE FROM \(table) WHERE \(keyClause)"
        let platform = ["_journal_epoch", "_commit_seq", "_updated_at"]
        fullUpdate = Self.update(table: table, columns: platform + dataColumns.map(\.target), keyClause: keyClause)
        fullInsert = Self.insert(
            table: table,
            columns: ["_device_id"] + platform + keyColumns.map(\.target) + dataColumns.map(\.target)
        )
        fullAppend = Self.insert(
            table: table,
            columns: ["device_id", "event_ts", "row_id"] + target.columns.map(\.target)
        )
    }

    static func update(table: String, columns: [String], keyClause: String) -> String {
        "UPDATE \(table) SET \(columns.map { "\(SQLIdentifier.quote($0)) = ?" }.joined(separator: ", ")) WHERE \(keyClause)"
    }

    static func insert(table: String, columns: [String]) -> String {
        "INSERT INTO \(table) (\(columns.map(SQLIdentifier.quote).joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))"
    }

    /// Applies one row change; returns the change in the mirror's row count.
    func apply(
        _ db: Database,
        op: RowOperation,
        pk: JSONObject,
        row: JSONObject?,
        epoch: String,
        seq: Int64,
        now: Timestamp
    ) throws -> Int {
        let dataKey = try keyColumns.map { column -> DatabaseValue in
            guard let value = pk[column.source] ?? row?[column.source] else {
                throw MaterializationError.permanent("the row has no value for primary-key column \(column.source)")
            }
            return try Self.databaseValue(value, column: column.source)
        }
        let keyValues = (target.coalesced ? [deviceID.databaseValue] : []) + dataKey
        let held = try fetch(db, selectHeld, StatementArguments(keyValues))
        // Columns by position: a lookup by name lowercases both names, for every row.
        if let held, !Self.isNewer(epoch, seq, than: held[0], held[1]) { return 0 }
        let pkHash = PrimaryKeyHash.hash(of: pk)
        switch op {
        case .delete:
            if keepTombstones {
                try run(
                    db,
                    """
                    INSERT INTO mirror_tombstone VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET journal_epoch = excluded.journal_epoch,
                    commit_seq = excluded.commit_seq WHERE (excluded.journal_epoch, excluded.commit_seq) > (journal_epoch, commit_seq)
                    """,
                    [lineageID, pkHash, epoch, seq]
                )
            }
            guard held != nil else { return 0 }
            try run(db, deleteRow, StatementArguments(keyValues))
            return -1
        case .insert, .update:
            // Tombstones exist only while a backlog does (the replay's completion clears them).
            if keepTombstones,
                let tombstone = try fetch(
                    db,
                    "SELECT journal_epoch, commit_seq FROM mirror_tombstone WHERE lineage_id = ? AND pk_hash = ?",
                    [lineageID, pkHash]
                ),
                !Self.isNewer(epoch, seq, than: tombstone[0], tombstone[1])
            {
                return 0
            }
            guard let row else { throw MaterializationError.permanent("an \(op.rawValue) without a row") }
            let data = try dataColumns.compactMap { column -> (String, DatabaseValue)? in
                guard let value = row[column.source] else { return nil }
                return (column.target, try Self.databaseValue(value, column: column.source))
            }
            let platform: [(String, DatabaseValue)] = [
                ("_journal_epoch", epoch.databaseValue), ("_commit_seq", seq.databaseValue),
                ("_updated_at", now.sortableDescription.databaseValue),
            ]
            let complete = data.count == dataColumns.count
            if held != nil {
                let sql =
                    complete
                    ? fullUpdate : Self.update(table: table, columns: (platform + data).map(\.0), keyClause: keyClause)
                try run(db, sql, StatementArguments((platform + data).map(\.1) + keyValues))
                return 0
            }
            let all =
                [("_device_id", deviceID.databaseValue)] + platform
                + zip(keyColumns.map(\.target), dataKey).map { ($0, $1) } + data
            try run(
                db,
                complete ? fullInsert : Self.insert(table: table, columns: all.map(\.0)),
                StatementArguments(all.map(\.1))
            )
            return 1
        }
    }

    /// Appends one telemetry sample to the series.
    func append(_ db: Database, ts: Timestamp, rowID: String?, fields: JSONObject) throws {
        let data = try target.columns.compactMap { column -> (String, DatabaseValue)? in
            guard let value = fields[column.source] else { return nil }
            return (column.target, try Self.databaseValue(value, column: column.source))
        }
        let all =
            [
                ("device_id", deviceID.databaseValue), ("event_ts", ts.sortableDescription.databaseValue),
                ("row_id", rowID.databaseValue),
            ] + data
        let sql = data.count == target.columns.count ? fullAppend : Self.insert(table: table, columns: all.map(\.0))
        try run(db, sql, StatementArguments(all.map(\.1)))
    }

    /// Per-row statements are prepared once per connection and reused (their SQL repeats).
    private func run(_ db: Database, _ sql: String, _ arguments: StatementArguments) throws {
        try db.cachedStatement(sql: sql).execute(arguments: arguments)
    }

    private func fetch(_ db: Database, _ sql: String, _ arguments: StatementArguments) throws -> Row? {
        try Row.fetchOne(db.cachedStatement(sql: sql), arguments: arguments)
    }

    static func isNewer(_ epoch: String, _ seq: Int64, than heldEpoch: String, _ heldSeq: Int64) -> Bool {
        epoch == heldEpoch ? seq > heldSeq : epoch > heldEpoch
    }

    /// A wire value as SQLite stores it: BLOBs arrive as `{"$hex": …}`; nested JSON is kept as text.
    static func databaseValue(_ value: JSONValue, column: String) throws -> DatabaseValue {
        switch value {
        case .null: return .null
        case .bool(let flag): return (flag ? 1 : 0).databaseValue
        case .integer(let number): return number.databaseValue
        case .double(let number): return number.databaseValue
        case .string(let text): return text.databaseValue
        case .object(let object) where object.count == 1 && object["$hex"] != nil:
            guard case .string(let hex)? = object["$hex"], let bytes = Hex.decode(hex) else {
                throw MaterializationError.permanent("column \(column): $hex is not hexadecimal")
            }
            return Data(bytes).databaseValue
        case .object, .array: return CanonicalJSON.string(of: value).databaseValue
        }
    }

    /// A stored value as the API shows it (BLOBs as `{"$hex": …}`).
    static func jsonValue(_ value: DatabaseValue) -> JSONValue {
        switch value.storage {
        case .null: .null
        case .int64(let number): .integer(number)
        case .double(let number): .double(number)
        case .string(let text): .string(text)
        case .blob(let data): .object(["$hex": .string(Hex.encode(data))])
        }
    }
}

import EdgeSyncModels
import PostgresNIO

/// PostgreSQL's side of the store's SQL: typed targets a data team can query (`bigint`,
/// `double precision`, `text`, `bytea`, `numeric`, `timestamptz`), `strpos`, `GREATEST`, and the
/// SQLSTATEs that go away by themselves.
struct PostgresDialect: SQLDialect {
    let name = "postgresql"

    func columnType(_ affinity: ColumnAffinity) -> String {
        switch affinity {
        case .integer: "bigint"
        case .real: "double precision"
        case .text: "text"
        case .blob: "bytea"
        case .numeric: "numeric"
        }
    }

    let textType = "text"
    let integerType = "bigint"
    let timestampType = "timestamptz"

    func timestamp(_ placeholder: String) -> String { "CAST(\(placeholder) AS timestamptz)" }

    /// A `numeric` is bound as the number's shortest text (a `double precision` bound into it
    /// would keep only 15 digits); every other value binds as its own type.
    func bound(_ placeholder: String, as affinity: ColumnAffinity) -> String {
        affinity == .numeric ? "CAST(\(placeholder) AS numeric)" : placeholder
    }

    let currentTimeNanoseconds = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000000)::bigint"

    /// Delivered to every listening replica when the transaction commits, never before.
    let notifyStatement: String? = "SELECT pg_notify(?, ?)"
    /// `lock_timeout` for the rest of the transaction (`lock_timeout_ms` of the store URL).
    var lockTimeoutMilliseconds = PostgresStoreConfiguration.defaultLockTimeoutMilliseconds
    var boundedLockWait: String? { "SET LOCAL lock_timeout = \(lockTimeoutMilliseconds)" }

    var indexOrder: (prefer: String, restore: String)? {
        ("SET LOCAL enable_bitmapscan = off", "RESET enable_bitmapscan")
    }
    /// The role granted SELECT on every new mirror and series (`reader_role` of the store URL).
    var readerRole: String?

    func grantRead(on table: String) -> String? {
        readerRole.map { "GRANT SELECT ON \(SQLIdentifier.quote(table)) TO \(SQLIdentifier.quote($0))" }
    }

    func greatest(_ first: String, _ second: String) -> String { "GREATEST(\(first), \(second))" }

    func contains(column: String) -> String { "strpos(\(column), ?) > 0" }

    /// A series is append-only, so a row's physical position follows its insertion.
    let seriesInsertionOrder = "ctid"

    /// Each statement is a round trip: as many rows as the bound values allow.
    let bulkRowsPerStatement: Int? = nil

    /// `NAMEDATALEN` − 1: PostgreSQL cuts longer identifiers.
    let maximumIdentifierLength = 63
    let maximumColumnCount = 1600

    let strictTypes = true

    /// Busy or cut off: a serialization failure or deadlock, a lock wait past `lock_timeout`, too
    /// many connections, disk full, a server shutting down or restarting, a lost connection.
    func isTransient(_ error: any Error) -> Bool {
        if error is PostgresConnectionLost { return true }
        guard let error = error as? PSQLError else { return false }
        switch error.code {
        case .server:
            guard let state = error.serverInfo?[.sqlState] else { return false }
            return Self.transientStates.contains(state) || Self.transientClasses.contains(String(state.prefix(2)))
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed,
            .queryCancelled:
            return true
        default:
            return false
        }
    }

    /// A transaction that lost a race (a concurrent insert of the same key, a deadlock, a
    /// serialization failure, a lock wait past `lock_timeout`), or that could not reach the
    /// database, is run again from the start.
    static func isRetryable(_ error: any Error) -> Bool {
        if error is PostgresConnectionLost { return true }
        guard let error = error as? PSQLError else { return false }
        guard error.code == .server else { return PostgresDialect().isTransient(error) }
        return error.serverInfo?[.sqlState].map { raceStates.contains($0) || PostgresDialect().isTransient(error) }
            ?? false
    }

    static let raceStates: Set<String> = ["23505", "40001", "40P01", "55P03"]
    static let transientStates: Set<String> = ["40001", "40P01", "55P03", "57P01", "57P02", "57P03", "55006"]
    /// Connection exceptions, insufficient resources, system errors.
    static let transientClasses: Set<String> = ["08", "53", "58"]

    /// Events are numbered when they are written, but transactions commit in any order: a
    /// reader goes by (writing transaction, id) and stops below the oldest transaction still
    /// running in this database, so an event can no longer appear behind one it has read.
    func events(after since: Int64) -> (condition: String, binds: [SQLValue], order: String) {
        (
            """
            (tx, id) > (COALESCE((SELECT e.tx FROM event e WHERE e.id = ?), (SELECT MAX(e.tx) FROM event e WHERE e.id <= ?), 0), ?)
            AND tx < \(Self.eventHorizon)
            """,
            [.integer(since), .integer(since), .integer(since)],
            "tx, id"
        )
    }

    /// The oldest transaction still running that may have written events: the snapshot's running
    /// ones (its xmin is cluster-wide) less those whose backend is in another database, which
    /// cannot write this one's tables. A transaction's owner holds the exclusive lock on its id; a
    /// running one with no such backend found (prepared, say, or just ended) is counted.
    static let eventHorizon = """
        COALESCE((SELECT MIN(x::text::bigint) FROM pg_snapshot_xip(pg_current_snapshot()) x
            WHERE NOT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                WHERE l.locktype = 'transactionid' AND l.transactionid = x::xid AND l.granted
                AND l.mode = 'ExclusiveLock'
                AND a.datid <> (SELECT oid FROM pg_database WHERE datname = current_database()))),
            pg_snapshot_xmax(pg_current_snapshot())::text::bigint)
        """

    func message(of error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                return message + state
            }
            return "\(error.code)"
        }
        if let error = error as? StoreError { return error.message }
        return "\(error)"
    }
}

import EdgeSyncModels
import Logging
import NIOCore
import PostgresNIO

/// One transaction on a leased connection, as an `SQLTransaction`. The store's SQL runs
/// synchronously (as on SQLite), so each statement is sent through postgres-nio and waited for on
/// one of the backend's transaction threads, never on an event loop or the cooperative pool.
final class PostgresTransaction: SQLTransaction {
    let connection: PostgresConnection
    let dialect: any SQLDialect
    let logger: Logger
    let readOnly: Bool
    private var savepoints = 0
    /// Set once COMMIT has been sent: a failure after it leaves the outcome unknown, so the
    /// transaction must not be run again.
    private(set) var committing = false

    init(connection: PostgresConnection, dialect: any SQLDialect, readOnly: Bool, logger: Logger) {
        self.connection = connection
        self.dialect = dialect
        self.readOnly = readOnly
        self.logger = logger
    }

    var lockRows: String { readOnly ? "" : " FOR UPDATE" }
    var claimRows: String { readOnly ? "" : " FOR UPDATE SKIP LOCKED" }

    /// Runs `body` between BEGIN and COMMIT (ROLLBACK when it throws).
    static func run<T>(
        on connection: PostgresConnection,
        dialect: any SQLDialect,
        readOnly: Bool,
        logger: Logger,
        _ body: (PostgresTransaction) throws -> T
    ) throws -> (T, committing: Bool) {
        let tx = PostgresTransaction(connection: connection, dialect: dialect, readOnly: readOnly, logger: logger)
        try tx.execute(readOnly ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN")
        do {
            let result = try body(tx)
            tx.committing = true
            try tx.execute("COMMIT")
            return (result, true)
        } catch {
            if !tx.committing { _ = try? tx.run("ROLLBACK", []) }
            throw PostgresTransactionFailure(underlying: error, afterCommitSent: tx.committing)
        }
    }

    func execute(_ sql: String, _ binds: [SQLValue]) throws -> Int {
        try run(sql, binds).metadata.rows ?? 0
    }

    func query(_ sql: String, _ binds: [SQLValue]) throws -> [SQLRow] {
        let result = try run(sql, binds)
        guard let first = result.rows.first else { return [] }
        let names = SQLColumnNames(first.map(\.columnName))
        return result.rows.map { row in SQLRow(names: names, values: row.map(PostgresValues.value)) }
    }

    private func run(_ sql: String, _ binds: [SQLValue]) throws -> PostgresQueryResult {
        let query = PostgresQuery(unsafeSQL: PostgresPlaceholders.numbered(sql), binds: PostgresValues.bindings(binds))
        return try connection.query(query, logger: logger).wait()
    }

    func columns(of table: String) throws -> [SQLColumn] {
        try query(
            """
            SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
            COALESCE((SELECT k.n FROM pg_index i, unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
                      WHERE i.indrelid = a.attrelid AND i.indisprimary AND k.attnum = a.attnum), 0) AS pk
            FROM pg_attribute a WHERE a.attrelid = to_regclass(quote_ident(?)) AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """,
            [.text(table)]
        ).map { SQLColumn(name: $0.string("name"), type: $0.string("type"), primaryKeyPosition: $0.int("pk")) }
    }

    func savepoint<T>(_ body: () throws -> T) throws -> T {
        savepoints += 1
        let name = "sp\(savepoints)"
        defer { savepoints -= 1 }
        try execute("SAVEPOINT \(name)")
        do {
            let result = try body()
            try execute("RELEASE SAVEPOINT \(name)")
            return result
        } catch {
            try execute("ROLLBACK TO SAVEPOINT \(name)")
            try execute("RELEASE SAVEPOINT \(name)")
            throw error
        }
    }
}

/// A transaction that failed, and whether COMMIT had been sent (then it may have committed).
struct PostgresTransactionFailure: Error {
    let underlying: any Error
    let afterCommitSent: Bool
}

/// The store's SQL uses `?`; PostgreSQL numbers its parameters (`$1`, `$2`, …). Quoted text and
/// quoted identifiers are left as they are.
enum PostgresPlaceholders {
    static func numbered(_ sql: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(sql.utf8.count + 64)
        var number = 0
        var quote: UInt8?
        for byte in sql.utf8 {
            if let open = quote {
                if byte == open { quote = nil }
                output.append(byte)
            } else if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") {
                quote = byte
                output.append(byte)
            } else if byte == UInt8(ascii: "?") {
                number += 1
                output.append(UInt8(ascii: "$"))
                output += String(number).utf8
            } else {
                output.append(byte)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}

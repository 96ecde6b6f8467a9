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

    init(connection: PostgresConnection, dialect: any SQLDialect, readOnly: Bool, logger: Logger) {
        self.connection = connection
        self.dialect = dialect
        self.readOnly = readOnly
        self.logger = logger
    }

    var lockRows: String { readOnly ? "" : " FOR UPDATE" }
    var claimRows: String { readOnly ? "" : " FOR UPDATE SKIP LOCKED" }

    /// How a transaction ended.
    enum Outcome<T: Sendable>: Sendable {
        case committed(T)
        /// The connection failed while COMMIT was on its way: the transaction may or may not
        /// have committed; its receipt tells (`PostgresWriteReceipt`).
        case uncertain(T, receipt: PostgresWriteReceipt)
        case failed(any Error)

        /// The result of a transaction that committed; an uncertain one counts as cut off.
        func get() throws -> T {
            switch self {
            case .committed(let result): return result
            case .uncertain: throw PostgresConnectionLost()
            case .failed(let error): throw error
            }
        }
    }

    /// Runs `body` between BEGIN and COMMIT (ROLLBACK when it throws). A write with a `receipt`
    /// leaves it in the database, so that a COMMIT cut off by a lost connection is `uncertain`
    /// rather than `failed`.
    static func run<T: Sendable>(
        on connection: PostgresConnection,
        dialect: any SQLDialect,
        readOnly: Bool,
        receipt: PostgresWriteReceipt? = nil,
        logger: Logger,
        _ body: (PostgresTransaction) throws -> T
    ) -> Outcome<T> {
        let tx = PostgresTransaction(connection: connection, dialect: dialect, readOnly: readOnly, logger: logger)
        let result: T
        do {
            try tx.execute(readOnly ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN")
            result = try body(tx)
        } catch {
            _ = try? tx.run("ROLLBACK", [])
            return .failed(error)
        }
        // The receipt, the sweep and COMMIT go out together (one round trip).
        let written = receipt.map { tx.send(PostgresWriteReceipt.insert, [.text($0.token)]) }
        let swept = receipt?.sweepBefore.map { tx.send(PostgresWriteReceipt.sweep, [.text($0)]) }
        let commit = tx.send("COMMIT", [])
        // Whether the receipt is in the transaction: unknown until its insert is answered.
        var receipted: Bool?
        do {
            if let written { receipted = try written.wait().metadata.rows == 1 }
            _ = try swept?.wait()
            _ = try commit.wait()
            return .committed(result)
        } catch {
            // An ERROR the session lived through aborted the transaction; a FATAL one (a shutdown)
            // may have come after the commit record.
            let aborted = (error as? PSQLError).map { $0.code == .server && $0.serverInfo?[.severity] == "ERROR" }
            guard aborted != true, let receipt, receipted != false else { return .failed(error) }
            return .uncertain(result, receipt: receipt)
        }
    }

    func execute(_ sql: String, _ binds: [SQLValue]) throws -> Int {
        try run(sql, binds).metadata.rows ?? 0
    }

    func query(_ sql: String, _ binds: [SQLValue]) throws -> [SQLRow] {
        Self.rows(of: try run(sql, binds))
    }

    /// One statement for every row: each column bound as an array and turned back into rows by
    /// `unnest`, so PostgreSQL parses and plans a few placeholders rather than one per value.
    func rowSet(_ rows: [[SQLValue]], columns: [SQLRowSetColumn], _ sql: (String) -> String) throws -> [SQLRow] {
        guard !rows.isEmpty else { return [] }
        var bindings = PostgresBindings(capacity: columns.count)
        for (index, column) in columns.enumerated() {
            bindings.append(try PostgresValueArray(column.storage, rows.lazy.map { $0[index] }))
        }
        let numbers = columns.indices.map { $0 + 1 }
        let selected = zip(columns, numbers).map { "\($0.expression("u.c\($1)")) AS column\($1)" }
        let arrays = columns.map { "?::" + PostgresValueArray.castName($0.storage) }
        let source = """
            SELECT \(selected.joined(separator: ", ")) FROM unnest(\(arrays.joined(separator: ", "))) \
            AS u(\(numbers.map { "c\($0)" }.joined(separator: ", ")))
            """
        return Self.rows(of: try send(sql(source), bindings).wait())
    }

    private static func rows(of result: PostgresQueryResult) -> [SQLRow] {
        guard let first = result.rows.first else { return [] }
        let names = SQLColumnNames(first.map(\.columnName))
        return result.rows.map { row in SQLRow(names: names, values: row.map(PostgresValues.value)) }
    }

    private func run(_ sql: String, _ binds: [SQLValue]) throws -> PostgresQueryResult {
        try send(sql, binds).wait()
    }

    private func send(_ sql: String, _ binds: [SQLValue]) -> EventLoopFuture<PostgresQueryResult> {
        send(sql, PostgresValues.bindings(binds))
    }

    /// Sends a statement without waiting for its answer (statements are answered in order).
    /// postgres-nio never answers a statement written after its connection has closed (the
    /// write fails with no one to tell), so the answer also fails when the connection closes;
    /// one that arrived first stands.
    private func send(_ sql: String, _ bindings: PostgresBindings) -> EventLoopFuture<PostgresQueryResult> {
        let query = PostgresQuery(unsafeSQL: PostgresPlaceholders.numbered(sql), binds: bindings)
        let answer = connection.eventLoop.makePromise(of: PostgresQueryResult.self)
        connection.query(query, logger: logger).cascade(to: answer)
        connection.closeFuture.whenComplete { _ in answer.fail(PostgresConnectionLost()) }
        return answer.futureResult
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

/// A statement's connection closed before it was answered.
struct PostgresConnectionLost: Error, CustomStringConvertible {
    var description: String { "the connection to PostgreSQL closed before the statement was answered" }
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

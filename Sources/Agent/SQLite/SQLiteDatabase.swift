import CSQLite

#if canImport(Glibc)
import Glibc
#endif

/// One connection through SQLite's C API: prepared statements cached by their SQL, values bound
/// and read with their exact storage class (text with its full length, NULs included).
///
/// Not thread-safe: a connection is used by one thread at a time, which `SQLiteQueue` ensures.
public final class SQLiteDatabase {
    public enum OpenMode: Sendable {
        /// The file must exist (an application's database is never created by the agent).
        case readWrite
        case readWriteCreate
        case readOnly
    }

    let handle: OpaquePointer
    public let path: String
    private let busyMilliseconds: Int32
    private var statements: [String: OpaquePointer] = [:]

    public init(path: String, mode: OpenMode, busyTimeout: Duration = .seconds(10)) throws(SQLiteError) {
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        switch mode {
        case .readWrite: flags |= SQLITE_OPEN_READWRITE
        case .readWriteCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        }
        var opened: OpaquePointer?
        let code = sqlite3_open_v2(path, &opened, flags, nil)
        guard code == SQLITE_OK, let opened else {
            let message = opened.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_close_v2(opened)
            throw SQLiteError(code: code, message: message, sql: nil)
        }
        handle = opened
        self.path = path
        busyMilliseconds = Int32(
            clamping: busyTimeout.components.seconds * 1_000 + busyTimeout.components.attoseconds
                / 1_000_000_000_000_000
        )
        sqlite3_busy_timeout(handle, busyMilliseconds)
    }

    /// Runs `body` with a busy handler that tries again every 0.2 ms (then every 2 ms after the
    /// first 10 ms) up to the same timeout. SQLite's own backs off to 100 ms between tries, which
    /// suits the agent's paced writes (a snapshot's chunks leave the application the lock), but
    /// against an application writing back to back a try then rarely falls into the short gap
    /// between two of its transactions: the sweep, which every batch needs, waited for seconds.
    public func promptly<T>(_ body: () throws -> T) rethrows -> T {
        sqlite3_busy_handler(handle, promptRetry, UnsafeMutableRawPointer(bitPattern: Int(max(1, busyMilliseconds))))
        defer { sqlite3_busy_timeout(handle, busyMilliseconds) }
        return try body()
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements without arguments (DDL, pragmas).
    public func execute(_ sql: String) throws(SQLiteError) {
        let code = sqlite3_exec(handle, sql, nil, nil, nil)
        guard code == SQLITE_OK else { throw error(code, sql) }
    }

    /// Runs one statement with arguments; returns the number of rows it changed.
    @discardableResult
    public func run(_ sql: String, _ arguments: [SQLiteValue] = []) throws(SQLiteError) -> Int {
        try forEachRow(sql, arguments) { _ throws(SQLiteError) in true }
        return Int(sqlite3_changes64(handle))
    }

    /// Every result row of one statement.
    public func rows(_ sql: String, _ arguments: [SQLiteValue] = []) throws(SQLiteError) -> [[SQLiteValue]] {
        var rows: [[SQLiteValue]] = []
        try forEachRow(sql, arguments) { row throws(SQLiteError) in
            rows.append(row)
            return true
        }
        return rows
    }

    /// The first result row, if any.
    public func firstRow(_ sql: String, _ arguments: [SQLiteValue] = []) throws(SQLiteError) -> [SQLiteValue]? {
        var first: [SQLiteValue]?
        try forEachRow(sql, arguments) { row throws(SQLiteError) in
            first = row
            return false
        }
        return first
    }

    /// The first column of the first row; nil when there is no row.
    public func scalar(_ sql: String, _ arguments: [SQLiteValue] = []) throws(SQLiteError) -> SQLiteValue? {
        try firstRow(sql, arguments)?.first
    }

    /// Steps through the result rows, one array of values per row, while `body` returns true.
    public func forEachRow(
        _ sql: String,
        _ arguments: [SQLiteValue],
        _ body: ([SQLiteValue]) throws(SQLiteError) -> Bool
    ) throws(SQLiteError) {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (index, argument) in arguments.enumerated() {
            try bind(argument, at: Int32(index + 1), in: statement, sql: sql)
        }
        let columns = sqlite3_column_count(statement)
        // One array for every row: a body that does not keep the row leaves its storage to reuse.
        var row: [SQLiteValue] = []
        row.reserveCapacity(Int(columns))
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw error(code, sql) }
            row.removeAll(keepingCapacity: true)
            for column in 0..<columns { row.append(value(statement, column)) }
            guard try body(row) else { return }
        }
    }

    /// The names of a statement's result columns.
    public func columnNames(_ sql: String) throws(SQLiteError) -> [String] {
        let statement = try prepared(sql)
        return (0..<sqlite3_column_count(statement)).map { String(cString: sqlite3_column_name(statement, $0)) }
    }

    /// Runs `body` in one transaction: `BEGIN IMMEDIATE` takes the write lock first (waiting up
    /// to the busy timeout), so the body never fails half-way on another writer.
    public func transaction<T>(immediate: Bool = true, _ body: () throws -> T) throws -> T {
        try execute(immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            if sqlite3_get_autocommit(handle) == 0 { try? execute("ROLLBACK") }
            throw error
        }
    }

    /// Rows changed by the last statement.
    public var changes: Int { Int(sqlite3_changes64(handle)) }

    private func prepared(_ sql: String) throws(SQLiteError) -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else { throw error(code, sql) }
        statements[sql] = statement
        return statement
    }

    /// Forgets every prepared statement (after DDL that changes what they refer to).
    public func clearStatements() {
        for statement in statements.values { sqlite3_finalize(statement) }
        statements = [:]
    }

    private func bind(
        _ value: SQLiteValue,
        at index: Int32,
        in statement: OpaquePointer,
        sql: String
    ) throws(SQLiteError) {
        let code: Int32
        switch value {
        case .null: code = sqlite3_bind_null(statement, index)
        case .integer(let number): code = sqlite3_bind_int64(statement, index, number)
        case .real(let number): code = sqlite3_bind_double(statement, index, number)
        case .text(let text):
            // A nil pointer would bind NULL, so the empty string gets a literal's.
            var text = text
            code = text.withUTF8 { bytes in
                guard let base = bytes.baseAddress, !bytes.isEmpty else {
                    return sqlite3_bind_text(statement, index, "", 0, edge_sqlite_transient())
                }
                return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                    sqlite3_bind_text64(
                        statement,
                        index,
                        $0,
                        UInt64(bytes.count),
                        edge_sqlite_transient(),
                        UInt8(SQLITE_UTF8)
                    )
                }
            }
        case .blob(let bytes):
            code = bytes.withUnsafeBytes { raw in
                guard let base = raw.baseAddress, !raw.isEmpty else {
                    return sqlite3_bind_zeroblob(statement, index, 0)
                }
                return sqlite3_bind_blob64(statement, index, base, UInt64(raw.count), edge_sqlite_transient())
            }
        }
        guard code == SQLITE_OK else { throw error(code, sql) }
    }

    private func value(_ statement: OpaquePointer, _ column: Int32) -> SQLiteValue {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, column))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, column))
        case SQLITE_TEXT:
            let count = Int(sqlite3_column_bytes(statement, column))
            guard let bytes = sqlite3_column_text(statement, column) else { return .text("") }
            return .text(String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, column))
            guard count > 0, let bytes = sqlite3_column_blob(statement, column) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
        default: return .null
        }
    }

    private func error(_ code: Int32, _ sql: String?) -> SQLiteError {
        SQLiteError(code: sqlite3_extended_errcode(handle), message: String(cString: sqlite3_errmsg(handle)), sql: sql)
            .withCode(code)
    }
}

extension SQLiteError {
    /// Keeps the extended code SQLite reported for the connection when it refines `code`.
    fileprivate func withCode(_ returned: Int32) -> SQLiteError {
        var copy = self
        if copy.code & 0xFF != returned & 0xFF { copy.code = returned }
        return copy
    }
}

/// `promptly`'s busy handler; its context is the busy timeout's milliseconds.
private let promptRetry: @convention(c) (UnsafeMutableRawPointer?, Int32) -> Int32 = { context, count in
    let waited = count < 50 ? Int(count) / 5 : 10 + (Int(count) - 50) * 2
    guard waited < Int(bitPattern: context) else { return 0 }
    usleep(count < 50 ? 200 : 2_000)
    return 1
}

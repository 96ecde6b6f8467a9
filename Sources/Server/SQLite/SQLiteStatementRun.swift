import GRDB
import GRDBSQLite

/// Runs a prepared statement on SQLite's C API: binds the store's values and reads its rows
/// without GRDB's per-call argument validation and generic row decoding, which profiling showed
/// to dominate the row-by-row paths (mirror writes, replay). GRDB still prepares and caches the
/// statement, and runs transactions, savepoints and DDL. Text and blobs are bound and read with
/// their byte lengths, so a NUL inside a string is kept.
struct SQLiteStatementRun {
    let db: Database
    let statement: Statement
    let sql: String

    /// `large` keeps statements of more than `cachedBindLimit` values (the writer's); without it
    /// they are prepared for this run only.
    init(_ db: Database, sql: String, binds: [SQLValue], large: SQLiteStatementCache? = nil) throws {
        try self.init(db, sql: sql, leading: binds, rows: [], large: large)
    }

    /// A statement bound with `leading`, then each row's values in order.
    init(
        _ db: Database,
        sql: String,
        leading: [SQLValue],
        rows: ArraySlice<[SQLValue]>,
        large: SQLiteStatementCache?
    ) throws {
        self.db = db
        self.sql = sql
        let count = rows.reduce(leading.count) { $0 + $1.count }
        // GRDB's statement cache never evicts: only small statements, whose SQL is fixed, go there.
        if count <= Self.cachedBindLimit {
            statement = try db.cachedStatement(sql: sql)
        } else if let large {
            statement = try large.statement(sql, db)
        } else {
            statement = try db.makeStatement(sql: sql)
        }
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard expected == count else {
            throw DatabaseError(
                resultCode: .SQLITE_MISUSE,
                message: "\(count) values bound to \(expected) parameters",
                sql: sql
            )
        }
        var index: CInt = 1
        func bind(_ values: [SQLValue]) throws {
            for value in values {
                let code = Self.bind(value, handle, index)
                guard code == SQLITE_OK else { throw failure(code) }
                index += 1
            }
        }
        try bind(leading)
        for row in rows { try bind(row) }
    }

    /// Steps to the end; returns the rows changed.
    func execute() throws -> Int {
        let handle = statement.sqliteStatement
        defer { sqlite3_reset(handle) }
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return Int(sqlite3_changes(db.sqliteConnection)) }
            guard code == SQLITE_ROW else { throw failure(code) }
        }
    }

    /// Every row of the result.
    func rows() throws -> [SQLRow] {
        let handle = statement.sqliteStatement
        defer { sqlite3_reset(handle) }
        let count = sqlite3_column_count(handle)
        let names = SQLColumnNames((0..<count).map { String(cString: sqlite3_column_name(handle, $0)) })
        var rows: [SQLRow] = []
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return rows }
            guard code == SQLITE_ROW else { throw failure(code) }
            var values: [SQLValue] = []
            values.reserveCapacity(Int(count))
            for column in 0..<count { values.append(Self.value(handle, column)) }
            rows.append(SQLRow(names: names, values: values))
        }
    }

    private func failure(_ code: CInt) -> DatabaseError {
        let message = sqlite3_errmsg(db.sqliteConnection).map { String(cString: $0) }
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
    }

    static let cachedBindLimit = 64

    /// SQLite copies the bytes before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private static func bind(_ value: SQLValue, _ handle: OpaquePointer, _ index: CInt) -> CInt {
        switch value {
        case .null: return sqlite3_bind_null(handle, index)
        case .integer(let number): return sqlite3_bind_int64(handle, index, number)
        case .real(let number): return sqlite3_bind_double(handle, index, number)
        case .text(var text):
            return text.withUTF8 { bytes in
                guard let base = bytes.baseAddress, !bytes.isEmpty else {
                    return sqlite3_bind_text(handle, index, "", 0, transient)
                }
                return sqlite3_bind_text64(
                    handle,
                    index,
                    UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self),
                    sqlite3_uint64(bytes.count),
                    transient,
                    UInt8(SQLITE_UTF8)
                )
            }
        case .blob(let bytes):
            return bytes.withUnsafeBytes { buffer in
                // A zero-length blob is still a blob, not NULL: bind a zeroblob for it.
                guard let base = buffer.baseAddress, !buffer.isEmpty else {
                    return sqlite3_bind_zeroblob(handle, index, 0)
                }
                return sqlite3_bind_blob64(handle, index, base, sqlite3_uint64(buffer.count), transient)
            }
        }
    }

    private static func value(_ handle: OpaquePointer, _ column: CInt) -> SQLValue {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, column))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(handle, column))
        case SQLITE_TEXT:
            guard let text = sqlite3_column_text(handle, column) else { return .text("") }
            let count = Int(sqlite3_column_bytes(handle, column))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(handle, column))
            guard let bytes = sqlite3_column_blob(handle, column), count > 0 else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
        default: return .null
        }
    }
}

import GRDB
import GRDBSQLite

/// Runs a prepared statement on SQLite's C API: binds the store's values and reads its rows
/// without GRDB's per-call argument validation and generic row decoding, which profiling showed
/// to dominate the row-by-row paths (mirror writes, replay). GRDB still prepares and caches the
/// statement, and runs transactions, savepoints and DDL. Text and blobs are bound and read with
/// their byte lengths, so a NUL inside a string is kept.
///
/// The bytes of every text and blob bound are copied into one buffer that SQLite reads in place
/// (`SQLITE_STATIC`) until the run ends: binding each with its own copy cost SQLite an allocation,
/// under its memory mutex, per value, 29 % of a replay's multi-row upserts. A run is used once
/// (`execute` or `rows`); its end resets the statement and unbinds the buffer before freeing it.
struct SQLiteStatementRun: ~Copyable {
    let db: Database
    let statement: Statement
    let sql: String
    private let bytes: UnsafeMutableRawBufferPointer

    /// A statement bound with `leading`, then each row's values in order. `large` keeps
    /// statements of more than `cachedBindLimit` values (the writer's); without it they are
    /// prepared for this run only.
    init(
        _ db: Database,
        sql: String,
        leading: [SQLValue],
        rows: ArraySlice<[SQLValue]> = [],
        large: SQLiteStatementCache? = nil
    ) throws {
        let count = rows.reduce(leading.count) { $0 + $1.count }
        // GRDB's statement cache never evicts: only small statements, whose SQL is fixed, go there.
        let statement: Statement
        if count <= Self.cachedBindLimit {
            statement = try db.cachedStatement(sql: sql)
        } else if let large {
            statement = try large.statement(sql, db)
        } else {
            statement = try db.makeStatement(sql: sql)
        }
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard expected == count else {
            throw DatabaseError(
                resultCode: .SQLITE_MISUSE,
                message: "\(count) values bound to \(expected) parameters",
                sql: sql
            )
        }
        let size = rows.reduce(Self.byteCount(leading)) { $0 + Self.byteCount($1) }
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 1)
        let code = Self.bind(leading, rows, handle, into: bytes)
        guard code == SQLITE_OK else {
            let failure = Self.failure(code, db, sql)
            Self.unbind(handle, bytes)
            throw failure
        }
        self.db = db
        self.statement = statement
        self.sql = sql
        self.bytes = bytes
    }

    deinit { Self.unbind(statement.sqliteStatement, bytes) }

    /// Ends a run: SQLite no longer points into `bytes` when they are freed.
    private static func unbind(_ handle: OpaquePointer, _ bytes: UnsafeMutableRawBufferPointer) {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        bytes.deallocate()
    }

    /// Binds `leading`, then each row's values, from parameter 1 on; returns the first error.
    private static func bind(
        _ leading: [SQLValue],
        _ rows: ArraySlice<[SQLValue]>,
        _ handle: OpaquePointer,
        into bytes: UnsafeMutableRawBufferPointer
    ) -> CInt {
        var index: CInt = 1
        var offset = 0
        func bind(_ values: [SQLValue]) -> CInt {
            for value in values {
                let code = Self.bind(value, handle, index, into: bytes, at: &offset)
                guard code == SQLITE_OK else { return code }
                index += 1
            }
            return SQLITE_OK
        }
        var code = bind(leading)
        for row in rows where code == SQLITE_OK { code = bind(row) }
        return code
    }

    /// Steps to the end; returns the rows changed.
    consuming func execute() throws -> Int {
        let handle = statement.sqliteStatement
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return Int(sqlite3_changes(db.sqliteConnection)) }
            guard code == SQLITE_ROW else { throw failure(code) }
        }
    }

    /// Every row of the result.
    consuming func rows() throws -> [SQLRow] {
        let handle = statement.sqliteStatement
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

    private func failure(_ code: CInt) -> DatabaseError { Self.failure(code, db, sql) }

    private static func failure(_ code: CInt, _ db: Database, _ sql: String) -> DatabaseError {
        let message = sqlite3_errmsg(db.sqliteConnection).map { String(cString: $0) }
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
    }

    static let cachedBindLimit = 64

    /// An empty text is bound as a copy of nothing (SQLite copies before the call returns).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// The bytes `bind` copies for `values`.
    private static func byteCount(_ values: [SQLValue]) -> Int {
        values.reduce(0) { total, value in
            switch value {
            case .text(let text): total + text.utf8.count
            case .blob(let bytes): total + bytes.count
            case .null, .integer, .real: total
            }
        }
    }

    /// Binds `value`; a text or blob is copied to `bytes` at `offset`, which moves past it.
    private static func bind(
        _ value: SQLValue,
        _ handle: OpaquePointer,
        _ index: CInt,
        into bytes: UnsafeMutableRawBufferPointer,
        at offset: inout Int
    ) -> CInt {
        switch value {
        case .null: return sqlite3_bind_null(handle, index)
        case .integer(let number): return sqlite3_bind_int64(handle, index, number)
        case .real(let number): return sqlite3_bind_double(handle, index, number)
        case .text(let text):
            let count = text.utf8.count
            guard count > 0, let base = bytes.baseAddress else {
                return sqlite3_bind_text(handle, index, "", 0, transient)
            }
            UnsafeMutableRawBufferPointer(rebasing: bytes[offset..<(offset + count)]).copyBytes(from: text.utf8)
            defer { offset += count }
            return sqlite3_bind_text64(
                handle,
                index,
                UnsafeRawPointer(base + offset).assumingMemoryBound(to: CChar.self),
                sqlite3_uint64(count),
                nil,
                UInt8(SQLITE_UTF8)
            )
        case .blob(let blob):
            // A zero-length blob is still a blob, not NULL: bind a zeroblob for it.
            guard !blob.isEmpty, let base = bytes.baseAddress else { return sqlite3_bind_zeroblob(handle, index, 0) }
            UnsafeMutableRawBufferPointer(rebasing: bytes[offset..<(offset + blob.count)]).copyBytes(from: blob)
            defer { offset += blob.count }
            return sqlite3_bind_blob64(handle, index, base + offset, sqlite3_uint64(blob.count), nil)
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

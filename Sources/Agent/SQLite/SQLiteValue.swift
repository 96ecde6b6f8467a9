/// A value as SQLite stores it: exactly, with its storage class.
public enum SQLiteValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    public var integer: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    public var text: String? {
        if case .text(let value) = self { return value }
        return nil
    }

    public var isNull: Bool { self == .null }
}

extension SQLiteValue: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, ExpressibleByNilLiteral {
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(stringLiteral value: String) { self = .text(value) }
    public init(nilLiteral: ()) { self = .null }
}

extension SQLiteValue {
    public init(_ value: Int) { self = .integer(Int64(value)) }
    public init(_ value: Int64?) { self = value.map(SQLiteValue.integer) ?? .null }
    public init(_ value: String?) { self = value.map(SQLiteValue.text) ?? .null }
    public init(_ value: Bool) { self = .integer(value ? 1 : 0) }
}

/// Why an SQLite call failed: the result code (extended) and SQLite's message.
public struct SQLiteError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: Int32
    public var message: String
    /// The statement, when one was involved (shortened), so a log names what failed.
    public var sql: String?

    public var description: String {
        "sqlite error \(code): \(message)" + (sql.map { " (in \($0.prefix(120)))" } ?? "")
    }

    /// The primary result code (the low byte of an extended code).
    public var primaryCode: Int32 { code & 0xFF }

    /// SQLITE_BUSY or SQLITE_LOCKED: another connection holds the lock; worth retrying.
    public var isBusy: Bool { primaryCode == 5 || primaryCode == 6 }
    /// SQLITE_FULL: the disk (or a quota) is full.
    public var isFull: Bool { primaryCode == 13 }
    /// SQLITE_CANTOPEN.
    public var isCantOpen: Bool { primaryCode == 14 }
}

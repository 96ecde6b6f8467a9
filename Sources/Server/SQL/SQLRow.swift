/// One result row: values by position, and by name through the statement's column names (shared
/// by every row of a result).
public struct SQLRow: Sendable {
    public let names: SQLColumnNames
    public let values: [SQLValue]

    public init(names: SQLColumnNames, values: [SQLValue]) {
        self.names = names
        self.values = values
    }

    public subscript(_ index: Int) -> SQLValue { values[index] }

    /// The value of column `name`; `.null` when the result has no such column.
    public subscript(_ name: String) -> SQLValue {
        names.index[name].map { values[$0] } ?? .null
    }

    public func string(_ name: String) -> String { self[name].text ?? "" }
    public func optionalString(_ name: String) -> String? { self[name].text }
    public func int64(_ name: String) -> Int64 { self[name].integer ?? 0 }
    public func optionalInt64(_ name: String) -> Int64? { self[name].integer }
    public func int(_ name: String) -> Int { Int(self[name].integer ?? 0) }
    public func bool(_ name: String) -> Bool { (self[name].integer ?? 0) != 0 }
}

/// The column names of a result, looked up once per statement rather than per row.
public final class SQLColumnNames: Sendable {
    public let names: [String]
    public let index: [String: Int]

    public init(_ names: [String]) {
        self.names = names
        var index: [String: Int] = [:]
        for (position, name) in names.enumerated() where index[name] == nil { index[name] = position }
        self.index = index
    }
}

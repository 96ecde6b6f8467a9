import EdgeSyncModels

/// A wire value as a target column stores it. SQLite keeps any value in any column (its affinity
/// converts what it can), so it gets the value as sent. A typed database gets the value in the
/// column's type, converted only where nothing is lost (a whole REAL into INTEGER, an INTEGER into
/// REAL, a number written as text); anything else is a permanent materialization failure that
/// names the column, never a silently changed value.
enum MirrorValue {
    static func stored(
        _ value: JSONValue,
        column: String,
        affinity: ColumnAffinity,
        strict: Bool
    ) throws(MaterializationError) -> SQLValue {
        guard let stored = SQLValue(wire: value) else {
            throw .permanent("column \(column): $hex is not hexadecimal")
        }
        guard strict, stored != .null else { return stored }
        if let typed = typed(stored, affinity) { return typed }
        throw .permanent("column \(column) (\(affinity.rawValue)) cannot hold \(describe(stored)) on this store")
    }

    /// A wire value as `column` stores it.
    static func stored(
        _ value: JSONValue,
        _ column: MaterializationTarget.Column,
        strict: Bool
    )
        throws(MaterializationError) -> SQLValue
    {
        try stored(value, column: column.source, affinity: column.affinity, strict: strict)
    }

    /// A row change's values as its mirror stores them: each key column's (from the change's key,
    /// else its row) in key order, and each data column's the row carries, by the column's index
    /// (none for a delete). The replay writes these; an approval's preview shows them.
    static func rowValues(
        op: RowOperation,
        pk: JSONObject,
        row: JSONObject?,
        keyColumns: [MaterializationTarget.Column],
        dataColumns: [MaterializationTarget.Column],
        strict: Bool
    ) throws(MaterializationError) -> (key: [SQLValue], data: [Int: SQLValue]) {
        var key: [SQLValue] = []
        for column in keyColumns {
            guard let value = pk[column.source] ?? row?[column.source] else {
                throw .permanent("the row has no value for primary-key column \(column.source)")
            }
            key.append(try stored(value, column, strict: strict))
        }
        // Sized once: grown an entry at a time, it was rehashed as often as it doubled.
        var data = [Int: SQLValue](minimumCapacity: op == .delete ? 0 : dataColumns.count)
        if op != .delete {
            guard let row else { throw .permanent("an \(op.rawValue) without a row") }
            for (index, column) in dataColumns.enumerated() {
                if let value = row[column.source] { data[index] = try stored(value, column, strict: strict) }
            }
        }
        return (key, data)
    }

    /// The value in the column's type; nil when it does not fit. (`SQLValue` is nil-literal
    /// expressible, so no `nil` here is written where a value could be meant.)
    private static func typed(_ value: SQLValue, _ affinity: ColumnAffinity) -> SQLValue? {
        switch (affinity, value) {
        case (.integer, .integer), (.real, .real), (.blob, .blob): return value
        case (.integer, .real(let number)): return Int64(exactly: number).map(SQLValue.integer)
        case (.integer, .text(let text)):
            return Int64(text).map(SQLValue.integer)
                ?? Double(text).flatMap { Int64(exactly: $0) }.map(SQLValue.integer)
        case (.real, .integer(let number)): return .real(Double(number))
        case (.real, .text(let text)): return finite(text).map(SQLValue.real)
        // A `numeric` is bound as text (`CAST(? AS numeric)`): a REAL's shortest form keeps every digit.
        case (.numeric, .integer(let number)): return .text(String(number))
        case (.numeric, .real(let number)) where number.isFinite: return .text("\(number)")
        case (.numeric, .text(let text)) where finite(text) != nil: return value
        case (.text, .text(let text)) where !text.utf8.contains(0): return value
        case (.text, .integer(let number)): return .text(String(number))
        case (.text, .real(let number)): return .text("\(number)")
        default: return Optional.none
        }
    }

    private static func finite(_ text: String) -> Double? {
        guard let number = Double(text), number.isFinite else { return Optional.none }
        return number
    }

    private static func describe(_ value: SQLValue) -> String {
        switch value {
        case .null: "NULL"
        case .integer(let number): "the INTEGER \(number)"
        case .real(let number): "the REAL \(number)"
        case .text(let text) where text.utf8.contains(0): "text with a NUL character"
        case .text(let text): "the text \"\(text.prefix(40))\(text.count > 40 ? "…" : "")\""
        case .blob(let bytes): "a BLOB of \(bytes.count) bytes"
        }
    }
}

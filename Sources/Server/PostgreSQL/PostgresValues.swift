import EdgeSyncModels
import NIOCore
import PostgresNIO

/// The store's values on PostgreSQL's wire: bound with their own types (int8, float8, text,
/// bytea; NULL untyped, so PostgreSQL infers it from its place), read from the binary format.
enum PostgresValues {
    static func bindings(_ values: [SQLValue]) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .null: bindings.appendNull()
            case .integer(let number): bindings.append(number)
            case .real(let number): bindings.append(number)
            case .text(let text): bindings.append(text)
            case .blob(let bytes): bindings.append(ByteBuffer(bytes: bytes))
            }
        }
        return bindings
    }

    /// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01).
    static let postgresEpochMicroseconds: Int64 = 946_684_800_000_000

    /// A cell as the store reads values: integers, floats, text, bytes; `numeric` as an INTEGER
    /// when it is whole and fits 64 bits, else a REAL (SQLite's NUMERIC affinity); times as the
    /// RFC 3339 text the SQLite store keeps.
    static func value(_ cell: PostgresCell) -> SQLValue {
        guard var bytes = cell.bytes else { return .null }
        guard cell.format == .binary else { return .text(String(buffer: bytes)) }
        switch cell.dataType {
        case .int8: return bytes.readInteger(as: Int64.self).map(SQLValue.integer) ?? .null
        case .int4, .oid: return bytes.readInteger(as: Int32.self).map { .integer(Int64($0)) } ?? .null
        case .int2: return bytes.readInteger(as: Int16.self).map { .integer(Int64($0)) } ?? .null
        case .float8: return bytes.readInteger(as: UInt64.self).map { .real(Double(bitPattern: $0)) } ?? .null
        case .float4: return bytes.readInteger(as: UInt32.self).map { .real(Double(Float(bitPattern: $0))) } ?? .null
        case .bool: return bytes.readInteger(as: UInt8.self).map { .integer($0 == 0 ? 0 : 1) } ?? .null
        case .bytea: return .blob(Array(bytes.readableBytesView))
        case .numeric:
            guard let text = PostgresData(type: .numeric, value: bytes).numeric?.string else { return .null }
            return number(text)
        case .timestamptz, .timestamp:
            guard let micros = bytes.readInteger(as: Int64.self) else { return .null }
            return .text(Timestamp(ns: (micros + postgresEpochMicroseconds) * 1_000).sortableDescription)
        default:
            return .text(String(buffer: bytes))
        }
    }

    /// A `numeric`'s text as SQLite's NUMERIC affinity keeps a number: an integer when it is whole
    /// and fits 64 bits, else a REAL.
    static func number(_ text: String) -> SQLValue {
        if let integer = Int64(text) { return .integer(integer) }
        guard let real = Double(text) else { return .text(text) }
        return real == real.rounded() ? Int64(exactly: real).map(SQLValue.integer) ?? .real(real) : .real(real)
    }
}

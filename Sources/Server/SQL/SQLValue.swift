import EdgeSyncModels

/// A value bound to or read from SQL, with its storage class. Backends map it to their types
/// (a BLOB is `bytea` in PostgreSQL, a REAL `double precision`).
public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    public init(_ value: String?) { self = value.map(SQLValue.text) ?? .null }
    public init(_ value: Int64?) { self = value.map(SQLValue.integer) ?? .null }
    public init(_ value: Int?) { self = value.map { .integer(Int64($0)) } ?? .null }
    public init(_ value: Bool) { self = .integer(value ? 1 : 0) }

    public var isNull: Bool { self == .null }

    public var text: String? {
        if case .text(let text) = self { return text }
        return nil
    }

    public var blob: [UInt8]? {
        if case .blob(let bytes) = self { return bytes }
        return nil
    }

    public var integer: Int64? {
        switch self {
        case .integer(let number): number
        case .real(let number) where number == number.rounded(): Int64(exactly: number)
        default: nil
        }
    }

    public var real: Double? {
        switch self {
        case .real(let number): number
        case .integer(let number): Double(number)
        default: nil
        }
    }

    /// A wire value as a column stores it: BLOBs arrive as `{"$hex": …}`; nested JSON is kept as
    /// text. Nil when a `$hex` is not hexadecimal.
    public init?(wire value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool(let flag): self = .integer(flag ? 1 : 0)
        case .integer(let number): self = .integer(number)
        case .double(let number): self = .real(number)
        case .string(let text): self = .text(text)
        case .object(let object) where object.count == 1 && object["$hex"] != nil:
            guard case .string(let hex)? = object["$hex"], let bytes = Hex.decode(hex) else { return nil }
            self = .blob(bytes)
        case .object, .array: self = .text(CanonicalJSON.string(of: value))
        }
    }

    /// A stored value as the API shows it (BLOBs as `{"$hex": …}`).
    public var jsonValue: JSONValue {
        switch self {
        case .null: .null
        case .integer(let number): .integer(number)
        case .real(let number): .double(number)
        case .text(let text): .string(text)
        case .blob(let bytes): .object(["$hex": .string(Hex.encode(bytes, uppercase: true))])
        }
    }
}

extension SQLValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(nilLiteral: ()) { self = .null }
}

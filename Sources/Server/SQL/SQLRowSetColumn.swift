import EdgeSyncModels

/// A column of rows bound as a set (`SQLTransaction.rowSet`): the class its values are bound as,
/// which is the element type where a database binds the column as one array, and how each value
/// is written from its placeholder (itself, or a cast).
public struct SQLRowSetColumn: Sendable {
    public var storage: SQLStorageClass
    public var expression: @Sendable (String) -> String

    public init(_ storage: SQLStorageClass, _ expression: @escaping @Sendable (String) -> String = { $0 }) {
        self.storage = storage
        self.expression = expression
    }

    public static let text = SQLRowSetColumn(.text)
    public static let integer = SQLRowSetColumn(.integer)

    /// A target column of `affinity` as `dialect` binds it: a `numeric` as its text, cast.
    public init(_ affinity: ColumnAffinity, dialect: any SQLDialect) {
        let storage: SQLStorageClass =
            switch affinity {
            case .integer: .integer
            case .real: .real
            case .text, .numeric: .text
            case .blob: .blob
            }
        self.init(storage) { dialect.bound($0, as: affinity) }
    }

    /// A time bound as RFC 3339 text into a `timestampType` column.
    public static func timestamp(_ dialect: any SQLDialect) -> SQLRowSetColumn {
        SQLRowSetColumn(.text) { dialect.timestamp($0) }
    }
}

/// The storage class of a value bound in a row set.
public enum SQLStorageClass: Sendable, Hashable {
    case text
    case integer
    case real
    case blob
}

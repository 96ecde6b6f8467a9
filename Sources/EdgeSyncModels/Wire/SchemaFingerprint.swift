/// One column of a fingerprint document.
public struct SchemaColumn: Sendable, Hashable, Codable {
    public var name: String
    public var declTypeAffinity: ColumnAffinity
    /// Position in the primary key, from 1; 0 when the column is not part of it.
    public var pkOrdinal: Int
    public var notNull: Bool

    public init(name: String, declTypeAffinity: ColumnAffinity, pkOrdinal: Int, notNull: Bool) {
        self.name = name
        self.declTypeAffinity = declTypeAffinity
        self.pkOrdinal = pkOrdinal
        self.notNull = notNull
    }

    enum CodingKeys: String, CodingKey {
        case name
        case declTypeAffinity = "decl_type_affinity"
        case pkOrdinal = "pk_ordinal"
        case notNull = "not_null"
    }

    public var isPrimaryKey: Bool { pkOrdinal > 0 }
}

/// One row of `PRAGMA table_info`, the input of a fingerprint.
public struct TableInfoColumn: Sendable, Hashable {
    public var name: String
    public var declaredType: String
    public var notNull: Bool
    public var pk: Int

    public init(name: String, declaredType: String, notNull: Bool, pk: Int) {
        self.name = name
        self.declaredType = declaredType
        self.notNull = notNull
        self.pk = pk
    }
}

/// The fingerprint document of a table (`schema_columns`) and its `schema_hash`
/// (docs/spec/wire-protocol.md, "Schema fingerprint"). Columns are kept sorted bytewise by name, so two
/// tables that differ only in column order have the same columns list.
public struct SchemaFingerprint: Sendable, Hashable, Codable {
    public var tableName: String
    public private(set) var columns: [SchemaColumn]

    public init(tableName: String, columns: [SchemaColumn]) {
        self.tableName = tableName
        self.columns = columns.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    public init(tableName: String, tableInfo: [TableInfoColumn]) {
        self.init(
            tableName: tableName,
            columns: tableInfo.map {
                SchemaColumn(
                    name: $0.name,
                    declTypeAffinity: ColumnAffinity(declaredType: $0.declaredType),
                    pkOrdinal: $0.pk,
                    notNull: $0.notNull
                )
            }
        )
    }

    enum CodingKeys: String, CodingKey {
        case tableName = "table_name"
        case columns
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            tableName: try container.decode(String.self, forKey: .tableName),
            columns: try container.decode([SchemaColumn].self, forKey: .columns)
        )
    }

    /// Primary-key columns in key order.
    public var primaryKeyColumns: [SchemaColumn] {
        columns.filter(\.isPrimaryKey).sorted { $0.pkOrdinal < $1.pkOrdinal }
    }

    public func column(named name: String) -> SchemaColumn? {
        columns.first { $0.name == name }
    }

    public var jsonValue: JSONValue {
        .object([
            "table_name": .string(tableName),
            "columns": .array(
                columns.map { column in
                    .object([
                        "name": .string(column.name),
                        "decl_type_affinity": .string(column.declTypeAffinity.rawValue),
                        "pk_ordinal": .integer(Int64(column.pkOrdinal)),
                        "not_null": .bool(column.notNull),
                    ])
                }
            ),
        ])
    }

    public var canonicalJSON: String { CanonicalJSON.string(of: jsonValue) }

    /// Lowercase hex SHA-256 of the canonical JSON.
    public var schemaHash: String { SHA256Hex.digest(CanonicalJSON.bytes(of: jsonValue)) }

    /// Reads a fingerprint document strictly; the error names the offending field.
    public init(json: JSONValue) throws(FieldError) {
        guard let object = json.objectValue else { throw FieldError(path: "schema_columns", expected: "an object") }
        guard let tableName = object["table_name"]?.stringValue else {
            throw FieldError(path: "schema_columns.table_name", expected: "a string")
        }
        guard let items = object["columns"]?.arrayValue, !items.isEmpty else {
            throw FieldError(path: "schema_columns.columns", expected: "a non-empty array")
        }
        var columns: [SchemaColumn] = []
        columns.reserveCapacity(items.count)
        var names = Set<String>()
        for (index, item) in items.enumerated() {
            let path = "schema_columns.columns[\(index)]"
            guard let column = item.objectValue else { throw FieldError(path: path, expected: "an object") }
            guard let name = column["name"]?.stringValue, !name.isEmpty, !name.utf8.contains(0),
                names.insert(name).inserted
            else {
                throw FieldError(path: path + ".name", expected: "a unique non-empty string without NUL")
            }
            guard let affinityText = column["decl_type_affinity"]?.stringValue,
                let affinity = ColumnAffinity(rawValue: affinityText)
            else {
                throw FieldError(path: path + ".decl_type_affinity", expected: "INTEGER, TEXT, BLOB, REAL or NUMERIC")
            }
            guard let ordinal = column["pk_ordinal"]?.integerValue, ordinal >= 0, ordinal <= 2000 else {
                throw FieldError(path: path + ".pk_ordinal", expected: "an integer ≥ 0")
            }
            guard let notNull = column["not_null"]?.boolValue else {
                throw FieldError(path: path + ".not_null", expected: "a boolean")
            }
            columns.append(
                SchemaColumn(name: name, declTypeAffinity: affinity, pkOrdinal: Int(ordinal), notNull: notNull)
            )
        }
        self.init(tableName: tableName, columns: columns)
    }
}

/// A field of a document that is missing or of the wrong type.
public struct FieldError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var expected: String

    public init(path: String, expected: String) {
        self.path = path
        self.expected = expected
    }

    public var description: String { "\(path): expected \(expected)" }
}

/// Columns of a schema the device never described (`unknown` classification), inferred from a
/// row: primary-key columns in the order of the `pk` object, affinities from the JSON values.
public enum SchemaInference {
    public static func columns(pk: JSONObject?, row: JSONObject?) -> [SchemaColumn] {
        let pkNames = pk?.keys ?? []
        var names = pkNames
        for key in row?.keys ?? [] where !names.contains(key) { names.append(key) }
        return names.map { name in
            let value = row?[name] ?? pk?[name] ?? .null
            let ordinal = (pkNames.firstIndex(of: name)).map { $0 + 1 } ?? 0
            return SchemaColumn(
                name: name,
                declTypeAffinity: affinity(of: value),
                pkOrdinal: ordinal,
                notNull: ordinal > 0
            )
        }
    }

    static func affinity(of value: JSONValue) -> ColumnAffinity {
        switch value {
        case .integer, .bool: .integer
        case .double: .real
        case .object(let object) where object.count == 1 && object["$hex"] != nil: .blob
        default: .text
        }
    }
}

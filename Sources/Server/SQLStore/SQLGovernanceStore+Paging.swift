import EdgeSyncModels

extension SQLGovernanceStore {
    /// One page of a list and its total: `SELECT select FROM source WHERE conditions ORDER BY
    /// order LIMIT/OFFSET`, plus the matching count. Every list of the API goes through here, each
    /// with an index on its conditions and order.
    static func fetchPage<Item>(
        _ tx: any SQLTransaction,
        select: String = "*",
        from source: String,
        where conditions: [String],
        binds: [SQLValue],
        order: String,
        page: PageRequest,
        map: (SQLRow) -> Item
    ) throws -> (items: [Item], total: Int) {
        let whereClause = conditions.isEmpty ? "1 = 1" : conditions.joined(separator: " AND ")
        let total = Int(try tx.value("SELECT COUNT(*) FROM \(source) WHERE \(whereClause)", binds)?.integer ?? 0)
        let items = try tx.query(
            "SELECT \(select) FROM \(source) WHERE \(whereClause) ORDER BY \(order) LIMIT ? OFFSET ?",
            binds + [.integer(Int64(page.limit)), .integer(Int64(page.offset))]
        ).map(map)
        return (items, total)
    }

    /// `column = ?` for each filter that is set.
    static func match(
        _ filters: [(column: String, value: String?)],
        _ conditions: inout [String],
        _ binds: inout [SQLValue]
    ) {
        for (column, value) in filters {
            guard let value else { continue }
            conditions.append("\(column) = ?")
            binds.append(.text(value))
        }
    }

    /// A list's text filter (`q`): rows where any of `columns` contains the text, ignoring case, or
    /// with `!text` (docs/spec/tui.md) those where none does. A missing value matches no text.
    func matchText(
        _ value: String?,
        in columns: [String],
        _ conditions: inout [String],
        _ binds: inout [SQLValue]
    ) {
        guard let value, !value.isEmpty else { return }
        let inverted = value.hasPrefix("!") && value.count > 1
        let text = (inverted ? String(value.dropFirst()) : value).lowercased()
        let contains = columns.map { dialect.contains(column: "lower(coalesce(\($0), ''))") }
        let any = contains.isEmpty ? "1 = 0" : contains.joined(separator: " OR ")
        conditions.append((inverted ? "NOT " : "") + "(\(any))")
        binds += columns.map { _ in .text(text) }
    }
}

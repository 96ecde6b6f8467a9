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
}

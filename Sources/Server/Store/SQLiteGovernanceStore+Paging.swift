import EdgeSyncModels
import GRDB

extension SQLiteGovernanceStore {
    /// One page of a list and its total: `SELECT select FROM source WHERE conditions ORDER BY
    /// order LIMIT/OFFSET`, plus the matching count. Every list of the API goes through here, each
    /// with an index on its conditions and order.
    func fetchPage<Item>(
        _ db: Database,
        select: String = "*",
        from source: String,
        where conditions: [String],
        arguments: StatementArguments,
        order: String,
        page: PageRequest,
        map: (Row) -> Item
    ) throws -> (items: [Item], total: Int) {
        let whereClause = conditions.isEmpty ? "1" : conditions.joined(separator: " AND ")
        let total =
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(source) WHERE \(whereClause)", arguments: arguments) ?? 0
        let items = try Row.fetchAll(
            db,
            sql: "SELECT \(select) FROM \(source) WHERE \(whereClause) ORDER BY \(order) LIMIT ? OFFSET ?",
            arguments: arguments + [page.limit, page.offset]
        ).map(map)
        return (items, total)
    }
}

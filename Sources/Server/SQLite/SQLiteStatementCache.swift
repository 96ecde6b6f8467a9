import GRDB

/// The writer connection's prepared multi-row statements (`SQLTransaction.bulk`), the least
/// recently used dropped past `capacity`. GRDB's own statement cache never evicts, so it keeps
/// only small statements; these are larger and their SQL varies with mirror tables and their
/// columns, so their number is bounded here.
///
/// Used only inside the writer connection's accesses, which GRDB runs one at a time: that
/// serialization, not a lock, is what makes it safe to share.
final class SQLiteStatementCache: @unchecked Sendable {
    private var statements: [String: (statement: Statement, used: UInt64)] = [:]
    private var clock: UInt64 = 0
    let capacity: Int

    /// 256 statements of up to a few thousand bound values: a few megabytes at most.
    init(capacity: Int = 256) {
        self.capacity = max(1, capacity)
    }

    /// The prepared statement for `sql` on the writer connection `db`.
    func statement(_ sql: String, _ db: Database) throws -> Statement {
        clock &+= 1
        if let cached = statements[sql] {
            statements[sql] = (cached.statement, clock)
            return cached.statement
        }
        let statement = try db.makeStatement(sql: sql)
        if statements.count >= capacity, let oldest = statements.min(by: { $0.value.used < $1.value.used }) {
            statements[oldest.key] = nil
        }
        statements[sql] = (statement, clock)
        return statement
    }

    var count: Int { statements.count }
}

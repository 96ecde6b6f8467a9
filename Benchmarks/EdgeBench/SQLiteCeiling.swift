import EdgeSyncModels
import Foundation
import GRDB

/// The physical ceiling for the ingest figures: the same rows the benchmarks publish, inserted
/// into a SQLite table (WAL, the same key) with one prepared statement, 10,000 per transaction.
enum SQLiteCeiling {
    static func measure(rows count: Int = 150_000) throws -> Double {
        let directory = ServerBench.temporaryDirectory("ceiling")
        defer { try? FileManager.default.removeItem(at: directory) }
        let pool = try DatabasePool(path: directory.appendingPathComponent("ceiling.sqlite").path)
        try pool.write { db in
            try db.execute(
                sql:
                    "CREATE TABLE order_events (order_id TEXT NOT NULL, line INTEGER NOT NULL, qty INTEGER, price NUMERIC, note TEXT, PRIMARY KEY (order_id, line))"
            )
        }
        let rows = (0..<count).map { EdgeBench.row($0, firstCommitSeq: 1) }
        let start = ContinuousClock.now
        for chunk in stride(from: 0, to: count, by: 10_000) {
            try pool.write { db in
                let statement = try db.makeStatement(sql: "INSERT OR REPLACE INTO order_events VALUES (?, ?, ?, ?, ?)")
                for change in rows[chunk..<min(count, chunk + 10_000)] {
                    guard let row = change.row.map(Self.fields) else { continue }
                    try statement.execute(arguments: [row.orderID, row.line, row.qty, row.price, row.note])
                }
            }
        }
        return Double(count) / EdgeBench.seconds(ContinuousClock.now - start)
    }

    /// A benchmark row's columns, typed as the ceilings insert them.
    static func fields(
        _ row: JSONObject
    ) -> (orderID: String?, line: Int64?, qty: Int64?, price: Double?, note: String?) {
        var price: Double?
        if case .double(let value)? = row["price"] { price = value }
        return (
            row["order_id"]?.stringValue, row["line"]?.integerValue, row["qty"]?.integerValue, price,
            row["note"]?.stringValue
        )
    }
}

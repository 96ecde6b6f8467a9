import GRDB
import Testing

@testable import Server

/// The replay reads staged rows in order through the partial indexes of migration v4, not by
/// sorting a lineage's whole backlog.
@Suite("Store indexes")
struct StoreIndexTests {
    @Test func replayOrderComesFromAnIndex() async throws {
        let fixture = try await StoreFixture.make()
        for (rows, index) in [(true, "staged_by_commit"), (false, "staged_by_ts")] {
            let plan = try await fixture.store.pool.read { db in
                try Row.fetchAll(
                    db,
                    sql: "EXPLAIN QUERY PLAN " + SQLiteGovernanceStore.replayBatchSQL(rows: rows),
                    arguments: ["lineage", 10]
                )
                .map { $0["detail"] as String }.joined(separator: "; ")
            }
            #expect(plan.contains("USING INDEX \(index)") && !plan.contains("TEMP B-TREE"), "\(plan)")
        }
    }
}

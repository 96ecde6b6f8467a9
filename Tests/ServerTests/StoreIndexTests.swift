import GRDB
import TestSupport
import Testing

@testable import Server

/// The replay reads staged rows in order through the partial indexes of migration v4, not by
/// sorting a lineage's whole backlog.
@Suite("Store indexes", .disabled(if: TestStore.isPostgres, "reads SQLite's query plans"))
struct StoreIndexTests {
    @Test func replayOrderComesFromAnIndex() async throws {
        let fixture = try await StoreFixture.make()
        for (rows, index) in [(true, "staged_by_commit"), (false, "staged_by_ts")] {
            let backend = try #require(fixture.store.backend as? SQLiteBackend)
            let plan = try await backend.inspect { db in
                try Row.fetchAll(
                    db,
                    sql: "EXPLAIN QUERY PLAN " + SQLGovernanceStore.replayBatchSQL(rows: rows),
                    arguments: ["lineage", 10]
                )
                .map { $0["detail"] as String }.joined(separator: "; ")
            }
            #expect(plan.contains("USING INDEX \(index)") && !plan.contains("TEMP B-TREE"), "\(plan)")
        }
    }
}

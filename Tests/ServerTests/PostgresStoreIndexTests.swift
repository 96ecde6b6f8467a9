import EdgeSyncModels
import TestSupport
import Testing

@testable import Server

/// PostgreSQL reads the replay's chunks and checks them from the indexes of its migration v6, in
/// their order (`SQLDialect.indexOrder`), rather than sorting a lineage's backlog for each chunk.
@Suite("Store indexes on PostgreSQL", .enabled(if: TestStore.isPostgres, "reads PostgreSQL's query plans"))
struct PostgresStoreIndexTests {
    @Test func replayOrderComesFromAnIndex() async throws {
        let fixture = try await StoreFixture.make()
        // A backlog staged moments ago, which no ANALYZE has seen: as the replay finds it.
        for first in stride(from: Int64(1), to: 20_000, by: 4_000) {
            _ = try await fixture.ingest(rowBatch(seqs: first...(first + 3_999), columns: deviceStateV1), .rowBatch)
        }
        let lineage = try #require(
            try await fixture.store.lineages(projectID: fixture.projectID, filter: LineageFilter(), page: PageRequest())
                .items.first
        )
        #expect(lineage.stagedRowCount == 20_000)
        let cases: [(LineageStrategy, String, [SQLValue])] = [
            (.rows, "staged_by_commit", [.text("01936f2e-5c3b-7a00-8000-000000000001"), .integer(7), .integer(7)]),
            (.telemetry, "staged_by_ts", [.integer(1_000), .integer(70)]),
        ]
        for (strategy, index, end) in cases {
            let plans = try await fixture.store.backend.read { tx in
                try tx.inIndexOrder {
                    try [false, true].map { resuming in
                        try tx.query(
                            "EXPLAIN " + ReplayChunk.sql(strategy, resuming: resuming),
                            [.text(lineage.id)] + (resuming ? end : []) + [.integer(2_000)]
                        )
                        .map { $0[0].text ?? "" }.joined(separator: "; ")
                    }
                }
            }
            for plan in plans {
                #expect(plan.contains("Index Scan using \(index)") && !plan.contains("Sort"), "\(plan)")
            }
        }
    }
}

import EdgeSyncModels
import GRDB
import TestSupport
import Testing

@testable import Server

/// The replay reads staged rows in order through the partial indexes of migration v4, from the
/// start of a lineage's backlog or after a chunk read before, not by sorting the whole backlog.
@Suite("Store indexes", .disabled(if: TestStore.isPostgres, "reads SQLite's query plans"))
struct StoreIndexTests {
    @Test func replayOrderComesFromAnIndex() async throws {
        let fixture = try await StoreFixture.make()
        let cases: [(LineageStrategy, String, [DatabaseValue])] = [
            (.rows, "staged_by_commit", ["epoch".databaseValue, 7.databaseValue, 70.databaseValue]),
            (.telemetry, "staged_by_ts", [1_000.databaseValue, 70.databaseValue]),
        ]
        for (strategy, index, end) in cases {
            let backend = try #require(fixture.store.backend as? SQLiteBackend)
            let plans = try await backend.inspect { db in
                try [false, true].map { resuming in
                    try Row.fetchAll(
                        db,
                        sql: "EXPLAIN QUERY PLAN " + ReplayChunk.sql(strategy, resuming: resuming),
                        arguments: StatementArguments(
                            ["lineage".databaseValue] + (resuming ? end : []) + [10.databaseValue]
                        )
                    )
                    .map { $0["detail"] as String }.joined(separator: "; ")
                }
            }
            for plan in plans {
                #expect(plan.contains("USING INDEX \(index)") && !plan.contains("TEMP B-TREE"), "\(plan)")
            }
        }
    }

    /// Every batch updates its lineage's counts and times; an index holding one of them moves an
    /// entry, and writes its pages, for each batch. Only the default order's `updated_at` is kept.
    @Test func theColumnsEveryBatchMovesAreIndexedOnlyForTheDefaultOrder() async throws {
        let fixture = try await StoreFixture.make()
        let backend = try #require(fixture.store.backend as? SQLiteBackend)
        let indexed = try await backend.inspect { db in
            try String.fetchAll(db, sql: "SELECT name FROM pragma_index_list('lineage')").flatMap { index in
                try String.fetchAll(db, sql: "SELECT name FROM pragma_index_info(?)", arguments: [index])
                    .map { "\(index).\($0)" }
            }
        }
        let moving = ["staged_row_count", "staged_bytes", "last_batch_at", "last_batch_seq", "last_commit_seq"]
        #expect(indexed.filter { moving.contains(String($0.split(separator: ".")[1])) } == [])
        #expect(indexed.filter { $0.hasSuffix(".updated_at") } == ["lineage_by_updated.updated_at"])
    }
}

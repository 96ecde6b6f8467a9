import EdgeSyncModels
import Foundation
import Testing

@testable import Server

/// A NUL inside a text value is data and is kept whole (PostgreSQL's text cannot hold it: there the
/// row waits staged, whole, as a materialization failure); inside a name it is refused at the
/// wire, where a C string would end and two names could collide.
@Suite("NUL in text and names")
struct NULTextTests {
    @Test func aTextValueWithNULIsMirroredWhole() async throws {
        let flow = try await ReviewFlowTests.Flow.make()
        #expect(try await flow.approve(flow.rowsLineage, ReviewFlowTests.mirrorBoth).status == .ok)
        try await flow.drainReplay()
        let result = try await flow.harness.fixture.ingest(
            liveBatch(
                epoch: "01936f2e-5c3b-7a00-8000-000000000001",
                changes: [(40, "insert", 40, "before\u{0}after")]
            ),
            .rowBatch
        )
        let rows = try await flow.mirrorRows(flow.rowsLineage, query: "?limit=500")
        #expect(!rows.data.contains { $0["mode"] == .string("before") })
        guard flow.store.dialect.strictTypes else {
            #expect(result.outcome == .materialized)
            #expect(rows.data.contains { $0["mode"] == .string("before\u{0}after") })
            return
        }
        #expect(result.outcome == .staged)
        let staged = try await flow.store.stagedRows(
            lineageID: flow.rowsLineage,
            query: nil,
            page: PageRequest(limit: 500)
        ).items
        #expect(
            staged.contains { $0.row?["mode"] == .string("before\u{0}after") && $0.reason == .materializationFailed }
        )
        #expect(try await flow.lineage(flow.rowsLineage).lineage.lastMaterializationError?.contains("NUL") == true)
    }

    @Test func namesWithNULAreRefused() async throws {
        let fixture = try await StoreFixture.make()
        var key = rowBatch(seqs: 1...1)
        key["rows"] = .array([
            .object([
                "commit_seq": .integer(1), "op": .string("insert"), "pk": .object(["id": .integer(1)]),
                "row": .object(["id": .integer(1), "secret\u{0}a": .string("x")]),
            ])
        ])
        #expect(try await fixture.ingest(key, .rowBatch).rejection == .invalidPayload)
        let columns = SchemaFingerprint(
            tableName: "device_state",
            columns: [SchemaColumn(name: "id\u{0}x", declTypeAffinity: .integer, pkOrdinal: 1, notNull: true)]
        )
        #expect(
            try await fixture.ingest(rowBatch(seqs: 2...2, columns: columns), .rowBatch).rejection == .invalidPayload
        )
    }
}

import EdgeSyncModels
import Testing

@testable import Server

@Suite("Staging forecast: rows encoded for staging only where they are expected to stage")
struct StagingForecastTests {
    @Test func learnsFromOutcomesAndForgetsPastItsCapacity() {
        let forecast = StagingForecast(capacity: 2)
        #expect(forecast.expectsStaging(deviceID: "d1", table: "t"))
        forecast.record(deviceID: "d1", table: "t", .materialized)
        #expect(!forecast.expectsStaging(deviceID: "d1", table: "t"))
        #expect(
            forecast.expectsStaging(deviceID: "d1", table: "u") && forecast.expectsStaging(deviceID: "d2", table: "t")
        )
        for nothingNew in [BatchOutcome.duplicate, .rejected] {
            forecast.record(deviceID: "d1", table: "t", nothingNew)
            #expect(!forecast.expectsStaging(deviceID: "d1", table: "t"))
        }
        forecast.record(deviceID: "d1", table: "t", .staged)
        #expect(forecast.expectsStaging(deviceID: "d1", table: "t"))
        forecast.record(deviceID: "d1", table: "t", .materialized)
        forecast.record(deviceID: "d2", table: "t", .materialized)
        forecast.record(deviceID: "d3", table: "t", .materialized)
        #expect(
            forecast.expectsStaging(deviceID: "d1", table: "t") && !forecast.expectsStaging(deviceID: "d3", table: "t")
        )
    }

    /// A live lineage whose next batch carries a new schema: planned without the rows' staging
    /// JSON, it stages exactly what a batch planned with it stages.
    @Test func aBatchForecastLiveThatStagesStoresTheSameRowsAndBytes() async throws {
        let fixture = try await StoreFixture.make()
        #expect(try await fixture.ingest(rowBatch(seqs: 1...3, columns: deviceStateV1), .rowBatch).outcome == .staged)
        try await fixture.approveFirstReview(mirroring: deviceStateV1)
        while try await fixture.store.replayStep(limit: 100, now: .now).replayed > 0 {}
        #expect(
            try await fixture.ingest(rowBatch(seqs: 4...5, columns: deviceStateV1), .rowBatch).outcome == .materialized
        )
        #expect(!fixture.pipeline.forecast.expectsStaging(deviceID: fixture.device.id, table: "device_state"))

        var next = rowBatch(seqs: 6...8, columns: deviceStateV2)
        next["rows"] = .array((6...8).map(Self.change))
        let bytes = Array(CanonicalJSON.string(of: .object(next)).utf8)
        guard case .success(.rowBatch(let batch)) = PayloadValidator().validate(bytes, topic: .rowBatch) else {
            Issue.record("the batch is valid")
            return
        }
        let encodedAhead = IngestPipeline.plan(batch, encodingRows: true).rows
        #expect(IngestPipeline.plan(batch, encodingRows: false).rows.allSatisfy { $0.rowJSON == nil })

        #expect(try await fixture.ingest(bytes, .rowBatch).outcome == .staged)
        #expect(fixture.pipeline.forecast.expectsStaging(deviceID: fixture.device.id, table: "device_state"))
        let lineage = try #require(
            try await fixture.store.lineages(projectID: fixture.projectID, filter: LineageFilter(), page: PageRequest())
                .items.first
        )
        let staged = try await fixture.store.stagedRows(lineageID: lineage.id, query: nil, page: PageRequest()).items
        #expect(staged.map(\.commitSeq) == [6, 7, 8])
        #expect(staged.map(\.bytes) == encodedAhead.map { Int64($0.staged().bytes) })
        #expect(staged.map(\.row) == batch.rows.map(\.row))
        #expect(lineage.stagedBytes == encodedAhead.reduce(0) { $0 + Int64($1.staged().bytes) })
    }

    /// An update of `seq` with a REAL and quoted non-ASCII text, or for 8 a delete.
    static func change(_ seq: Int) -> JSONValue {
        let id = JSONValue.integer(Int64(seq))
        guard seq != 8 else {
            return .object(["commit_seq": id, "op": .string("delete"), "pk": .object(["id": id]), "row": .null])
        }
        let row: JSONObject = ["id": id, "mode": .string("é\"\(seq)"), "zone": .double(40)]
        return .object(["commit_seq": id, "op": .string("update"), "pk": .object(["id": id]), "row": .object(row)])
    }
}

import EdgeSyncModels
import Foundation
import TestSupport
import Testing

@testable import Server

@Suite("Ingest pipeline on a real SQLite store")
struct IngestPipelineTests {
    @Test func everyVectorIsStagedOrRejectedWithItsCode() async throws {
        let fixture = try await StoreFixture.make()
        for vector in try SpecVectors.payloads() {
            let topic = try #require(UplinkTopic(rawValue: vector.topicSuffix), "\(vector.name)")
            let result = try await fixture.ingest(vector.bytes, topic)
            if vector.expect == "ok" {
                #expect(result.outcome == .staged, "\(vector.name)")
            } else {
                #expect(result.outcome == .rejected && result.rejection?.rawValue == vector.expect, "\(vector.name)")
                #expect(result.controls.count == 1, "\(vector.name): a batch_rejected control")
            }
        }
        let (entries, total) = try await fixture.store.batches(
            projectID: fixture.projectID,
            filter: BatchFilter(),
            page: PageRequest(limit: 100)
        )
        let vectors = try SpecVectors.payloads()
        #expect(total == vectors.count)
        #expect(entries.map { $0.rejectionCode?.rawValue ?? "ok" } == vectors.map(\.expect))
        #expect(entries.allSatisfy { $0.deviceName == "pump-7" && $0.bytes > 0 })
        var rejectedOnly = BatchFilter()
        rejectedOnly.code = .rowCountMismatch
        #expect(
            try await fixture.store.batches(projectID: fixture.projectID, filter: rejectedOnly, page: PageRequest())
                .total == 1
        )
    }

    @Test func firstBatchCreatesAPausedLineageWithAQueuedReviewAndStagedRows() async throws {
        let fixture = try await StoreFixture.make()
        let result = try await fixture.ingest(rowBatch(seqs: 1...3, columns: deviceStateV1), .rowBatch)
        #expect(result.outcome == .staged && result.stagedRows == 3)
        let lineages = try await fixture.store.lineages(
            projectID: fixture.projectID,
            filter: LineageFilter(),
            page: PageRequest()
        )
        let lineage = try #require(lineages.items.first)
        #expect(lineages.total == 1)
        #expect(lineage.status == .paused && lineage.pauseReason == .schemaReview)
        #expect(lineage.stagedRowCount == 3 && lineage.lastCommitSeq == 3 && lineage.strategy == .rows)
        let reviews = try await fixture.store.reviews(
            projectID: fixture.projectID,
            filter: ReviewFilter(),
            page: PageRequest()
        )
        #expect(reviews.items.map(\.status) == [.queued])
        #expect(reviews.items.first?.classification == .ambiguous && reviews.items.first?.stagedRowCount == 3)
        let staged = try await fixture.store.stagedRows(lineageID: lineage.id, query: nil, page: PageRequest())
        #expect(staged.total == 3)
        #expect(staged.items.map(\.commitSeq) == [1, 2, 3])
        #expect(staged.items.allSatisfy { $0.reason == .schemaReview && $0.op == .insert })
        #expect(staged.items.first?.row?["mode"] == .string("m1"))
        let detail = try #require(
            try await fixture.store.reviewDetail(id: reviews.items[0].id, projectID: fixture.projectID)
        )
        #expect(detail.diff.map(\.marker) == [.added, .added])
        #expect(detail.suggestedActions.map(\.action) == [.mirror, .mirror])
        #expect(detail.stagedSample.count == 3)
        let events = try await fixture.store.events(
            projectID: fixture.projectID,
            filter: EventFilter(),
            page: PageRequest()
        )
        #expect(events.items.map(\.kind) == [.lineageCreated, .reviewQueued, .lineagePaused])
    }

    @Test func resendingABatchThreeTimesStagesItsRowsOnce() async throws {
        let fixture = try await StoreFixture.make()
        let batch = rowBatch(seqs: 10...14, columns: deviceStateV1)
        var outcomes: [BatchOutcome?] = []
        for _ in 0..<3 { outcomes.append(try await fixture.ingest(batch, .rowBatch).outcome) }
        #expect(outcomes == [.staged, .duplicate, .duplicate])
        // A new batch that overlaps: only the unseen rows are staged.
        let overlap = try await fixture.ingest(rowBatch(seqs: 13...16), .rowBatch)
        #expect(overlap.outcome == .staged && overlap.stagedRows == 2)
        let lineage = try #require(
            try await fixture.store.lineages(projectID: fixture.projectID, filter: LineageFilter(), page: PageRequest())
                .items.first
        )
        #expect(lineage.stagedRowCount == 7)
        #expect(
            try await fixture.store.stagedRows(lineageID: lineage.id, query: nil, page: PageRequest()).items.map(
                \.commitSeq
            ) == [
                10, 11, 12, 13, 14, 15, 16,
            ]
        )
    }

    @Test func telemetryDedupAndSequenceRules() async throws {
        let fixture = try await StoreFixture.make()
        let valid = try SpecVectors.body("valid telemetry batch")
        #expect(try await fixture.ingest(valid, .telemetryBatch).outcome == .staged)
        #expect(try await fixture.ingest(valid, .telemetryBatch).outcome == .duplicate)
        var sameSeq = try #require(try JSONParser().parse(valid).objectValue)
        sameSeq["batch_id"] = .string(UUIDv7Generator.shared.next().description)
        #expect(try await fixture.ingest(sameSeq, .telemetryBatch).rejection == .duplicateBatchSeq)
        var stale = sameSeq
        stale["batch_id"] = .string(UUIDv7Generator.shared.next().description)
        stale["batch_seq"] = .integer(41)
        #expect(try await fixture.ingest(stale, .telemetryBatch).rejection == .staleBatchSeq)
        var next = sameSeq
        next["batch_id"] = .string(UUIDv7Generator.shared.next().description)
        next["batch_seq"] = .integer(43)
        #expect(try await fixture.ingest(next, .telemetryBatch).outcome == .staged)
        let lineage = try #require(
            try await fixture.store.lineages(projectID: fixture.projectID, filter: LineageFilter(), page: PageRequest())
                .items.first
        )
        #expect(lineage.strategy == .telemetry && lineage.stagedRowCount == 4 && lineage.lastBatchSeq == 43)
        let staged = try await fixture.store.stagedRows(lineageID: lineage.id, query: nil, page: PageRequest()).items
        #expect(
            staged.first?.ts == Timestamp(rfc3339: "2026-04-28T09:00:01Z")
                && staged.first?.row?["value_c"] == .double(22.1)
        )
    }

    @Test func aNewerHashSupersedesTheOpenReview() async throws {
        let fixture = try await StoreFixture.make()
        _ = try await fixture.ingest(rowBatch(seqs: 1...1, columns: deviceStateV1), .rowBatch)
        _ = try await fixture.ingest(rowBatch(seqs: 2...2, columns: deviceStateV2), .rowBatch)
        let reviews = try await fixture.store.reviews(
            projectID: fixture.projectID,
            filter: ReviewFilter(),
            page: PageRequest()
        ).items
        #expect(reviews.map(\.status) == [.abandoned, .queued])
        #expect(reviews[0].reason == "superseded" && reviews[0].actionVersion == 2)
        #expect(reviews[1].schemaHash == deviceStateV2.schemaHash)
        let lineage = try #require(
            try await fixture.store.lineageDetail(id: reviews[1].lineageID!, projectID: fixture.projectID)
        )
        #expect(lineage.schemaVersions.map(\.schemaHash) == [deviceStateV1.schemaHash, deviceStateV2.schemaHash])
        #expect(lineage.openReviewID == reviews[1].id)
        #expect(lineage.lineage.schemaHash == deviceStateV2.schemaHash)
    }

    @Test func batchesWithoutColumnsAreUnknownUntilAnObservationWarmsTheVersion() async throws {
        let fixture = try await StoreFixture.make()
        let bare = try await fixture.ingest(rowBatch(table: "orders", seqs: 1...1), .rowBatch)
        #expect(bare.outcome == .staged)
        let reviews = try await fixture.store.reviews(
            projectID: fixture.projectID,
            filter: ReviewFilter(),
            page: PageRequest()
        ).items
        #expect(reviews.first?.classification == .unknown)
        let orders = SchemaFingerprint(tableName: "inventory", columns: deviceStateV1.columns)
        let observation: JSONObject = [
            "format_version": .integer(1), "source_table": .string("inventory"),
            "schema_hash": .string(orders.schemaHash),
            "observed_at": .string("2026-11-25T00:00:00Z"), "schema_columns": orders.jsonValue,
        ]
        #expect(try await fixture.ingest(observation, .schemaObservation).outcome == nil)
        var batch = rowBatch(table: "inventory", seqs: 1...1)
        batch["schema_hash"] = .string(orders.schemaHash)
        _ = try await fixture.ingest(batch, .rowBatch)
        let inventory = try await fixture.store.reviews(
            projectID: fixture.projectID,
            filter: ReviewFilter(),
            page: PageRequest()
        ).items.last
        #expect(inventory?.sourceTable == "inventory" && inventory?.classification == .ambiguous)
    }

    @Test func rejectionsQueueABatchRejectedControlUntilAcknowledged() async throws {
        let fixture = try await StoreFixture.make()
        let result = try await fixture.ingest(try SpecVectors.body("batch id v4"), .rowBatch)
        let control = try #require(result.controls.first)
        let decoded = try JSONDecoderForTests.decode(DownlinkControl.self, control.body)
        guard case .batchRejected(let table, let batchID, let reason, _) = decoded.payload else {
            Issue.record("not batch_rejected")
            return
        }
        #expect(
            table == "device_state" && batchID == "3b241101-e2bb-4255-8caf-4136c566a962" && reason == .invalidBatchID
        )
        #expect(try await fixture.store.unacknowledgedControls(deviceID: fixture.device.id).map(\.id) == [control.id])
        let ack: JSONObject = ["format_version": .integer(1), "control_id": .string(control.id)]
        _ = try await fixture.ingest(ack, .ingestAck)
        #expect(try await fixture.store.unacknowledgedControls(deviceID: fixture.device.id).isEmpty)
        // An ACK for an unknown id is ignored.
        _ = try await fixture.ingest(["format_version": .integer(1), "control_id": .string("nope")], .ingestAck)
        let kinds = try await fixture.store.events(
            projectID: fixture.projectID,
            filter: EventFilter(),
            page: PageRequest()
        ).items.map(\.kind)
        #expect(kinds == [.batchRejected, .controlAcked])
    }

    @Test func aTableCannotSwitchStrategy() async throws {
        let fixture = try await StoreFixture.make()
        _ = try await fixture.ingest(try SpecVectors.body("valid row batch"), .rowBatch)
        var telemetry = try #require(try JSONParser().parse(try SpecVectors.body("valid telemetry batch")).objectValue)
        telemetry["source_table"] = .string("device_state")
        #expect(try await fixture.ingest(telemetry, .telemetryBatch).rejection == .invalidCaptureStrategy)
    }
}

enum JSONDecoderForTests {
    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws -> T {
        try Foundation.JSONDecoder().decode(T.self, from: Foundation.Data(bytes))
    }
}

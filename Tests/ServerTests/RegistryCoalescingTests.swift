import EdgeSyncModels
import Foundation
import HTTPTypes
import Testing

@testable import Server

/// Project-mode coalescing: one registry review per (table, hash), shared targets keyed by
/// device, automatic adoption by every device of the scope, and consolidation.
@Suite("Registry coalescing")
struct RegistryCoalescingTests {
    typealias Flow = ReviewFlowTests.Flow

    static let orders = SchemaFingerprint(
        tableName: "orders",
        columns: [
            SchemaColumn(name: "id", declTypeAffinity: .integer, pkOrdinal: 1, notNull: true),
            SchemaColumn(name: "mode", declTypeAffinity: .text, pkOrdinal: 0, notNull: false),
        ]
    )

    func device(_ flow: Flow, _ name: String) async throws -> DeviceIdentity {
        let fixture = flow.harness.fixture
        _ = try await fixture.store.registerDevice(
            name: name,
            projectID: fixture.projectID,
            fleetID: fixture.tenancy.fleetID,
            now: .now
        )
        return try #require(try await fixture.store.device(named: name, projectID: fixture.projectID))
    }

    func send(_ flow: Flow, _ device: DeviceIdentity, _ batch: JSONObject) async throws -> IngestResult {
        try await flow.harness.fixture.pipeline.ingest(
            device: device,
            topic: .rowBatch,
            payload: Array(CanonicalJSON.string(of: .object(batch)).utf8),
            receivedAt: .now
        )
    }

    func lineageID(_ flow: Flow, _ device: DeviceIdentity, _ table: String) async throws -> String {
        let lineages = try await flow.harness.get(
            "\(flow.base)/edge/lineages?source_table=\(table)",
            as: PageEnvelope<Lineage>.self
        ).data
        return try #require(lineages.first { $0.deviceID == device.id }).id
    }

    @Test func oneRegistryReviewSharedTargetAndAdoption() async throws {
        let flow = try await Flow.make()
        _ = try await flow.harness.send(
            .patch,
            "\(flow.base)/edge/policy",
            body: #"{"schema_coalescing_mode":"project"}"#
        )
        let pump = flow.harness.fixture.device
        let valve = try await device(flow, "valve-1")
        _ = try await send(flow, pump, rowBatch(table: "orders", seqs: 1...3, columns: Self.orders))
        _ = try await send(flow, valve, rowBatch(table: "orders", seqs: 1...2, columns: Self.orders))
        let registryReviews = try await flow.harness.get(
            "\(flow.base)/edge/registry-reviews",
            as: PageEnvelope<SchemaReview>.self
        )
        #expect(
            registryReviews.meta.total == 1 && registryReviews.data[0].scope == .project
                && registryReviews.data[0].lineageID == nil
        )
        let deviceReviews = try await flow.harness.get(
            "\(flow.base)/edge/schema-reviews?status=queued",
            as: PageEnvelope<SchemaReview>.self
        ).data
        #expect(!deviceReviews.contains { $0.sourceTable == "orders" }, "coalesced tables are decided in the registry")
        let review = registryReviews.data[0]
        let waiting = try await flow.harness.get(
            "\(flow.base)/edge/lineages/\(try await lineageID(flow, pump, "orders"))",
            as: ResourceEnvelope<LineageDetail>.self
        ).data
        #expect(waiting.openReviewID == nil && waiting.openRegistryReviewID == review.id)
        let detail = try await flow.harness.get(
            "\(flow.base)/edge/registry-reviews/\(review.id)",
            as: ResourceEnvelope<SchemaReviewDetail>.self
        ).data
        #expect(
            detail.columns?.map(\.name) == ["id", "mode"]
                && detail.suggestedActions.map(\.action) == [.mirror, .mirror]
        )

        let path = "\(flow.base)/edge/registry-reviews/\(review.id)"
        #expect(
            try await flow.post("\(flow.base)/edge/schema-reviews/\(review.id)/claim", #"{"action_version":1}"#).status
                == .notFound
        )
        _ = try await flow.post("\(path)/claim", #"{"action_version":1}"#)
        let approved = try await flow.post(
            "\(path)/approve",
            #"{"action_version":2,"column_actions":[\#(ReviewFlowTests.mirrorBoth)]}"#
        )
        #expect(approved.status == .ok && approved.json?["data"]?["status"] == .string("approved"))
        try await flow.drainReplay()

        let lineages = try await flow.harness.get(
            "\(flow.base)/edge/lineages?source_table=orders&sort=device",
            as: PageEnvelope<Lineage>.self
        ).data
        let shared = "edge_mirror_p" + String(flow.harness.fixture.projectID.filter { $0 != "-" }.prefix(8)) + "_orders"
        #expect(lineages.map(\.status) == [.active, .active] && lineages.allSatisfy { $0.mirrorTable == shared })
        let decided = try await flow.harness.get(
            "\(flow.base)/edge/lineages/\(lineages[0].id)",
            as: ResourceEnvelope<LineageDetail>.self
        ).data
        #expect(decided.openRegistryReviewID == nil)
        let pumpRows = try await flow.mirrorRows(lineages[0].id)
        let valveRows = try await flow.mirrorRows(lineages[1].id)
        #expect(pumpRows.meta.total == 3 && valveRows.meta.total == 2)
        #expect(
            pumpRows.data.allSatisfy { $0["_device_id"] == .string(pump.id) }
                && valveRows.data.map { $0["id"] } == [.integer(1), .integer(2)]
        )

        // A device that sends the approved hash later is adopted at once and materializes live.
        let third = try await device(flow, "tank-3")
        let result = try await send(flow, third, rowBatch(table: "orders", seqs: 1...1, columns: Self.orders))
        #expect(result.outcome == .materialized)
        let entry = try await flow.harness.get("\(flow.base)/edge/registry", as: PageEnvelope<RegistryEntry>.self).data
        #expect(entry.map(\.decision) == [.approved] && entry[0].reviewID == review.id)
        for (query, total) in [("ORD", 1), ("!ord", 0)] {
            let entries = try await flow.harness.get(
                "\(flow.base)/edge/registry?q=\(query)",
                as: PageEnvelope<RegistryEntry>.self
            )
            let reviews = try await flow.harness.get(
                "\(flow.base)/edge/registry-reviews?status=approved&q=\(query)",
                as: PageEnvelope<SchemaReview>.self
            )
            #expect(entries.meta.total == total && reviews.meta.total == total, "\(query)")
        }
        let mirrors = try await flow.harness.get(
            "\(flow.base)/edge/coalesced-mirrors",
            as: PageEnvelope<CoalescedMirror>.self
        ).data
        #expect(mirrors.map(\.mirrorTable) == [shared] && mirrors[0].scope == .project)
        let total = try await flow.store.backend.read { try $0.value("SELECT COUNT(*) FROM \"\(shared)\"")?.integer }
        #expect(total == 6)
    }

    @Test func consolidateMovesDeviceMirrorsIntoTheSharedTarget() async throws {
        let flow = try await Flow.make()
        try await flow.approve(flow.rowsLineage, ReviewFlowTests.mirrorBoth)
        try await flow.drainReplay()
        #expect(
            try await flow.post("\(flow.base)/edge/coalesced-mirrors/device_state/consolidate", "", token: "admin")
                .status == .notFound
        )
        _ = try await flow.harness.send(
            .patch,
            "\(flow.base)/edge/policy",
            body: #"{"schema_coalescing_mode":"project"}"#
        )
        let valve = try await device(flow, "valve-1")
        _ = try await send(flow, valve, rowBatch(seqs: 1...2, columns: deviceStateV1))
        let review = try await flow.harness.get(
            "\(flow.base)/edge/registry-reviews",
            as: PageEnvelope<SchemaReview>.self
        ).data[0]
        _ = try await flow.post("\(flow.base)/edge/registry-reviews/\(review.id)/claim", #"{"action_version":1}"#)
        _ = try await flow.post(
            "\(flow.base)/edge/registry-reviews/\(review.id)/approve",
            #"{"action_version":2,"column_actions":[\#(ReviewFlowTests.mirrorBoth)]}"#
        )
        try await flow.drainReplay()
        #expect(
            try await flow.post("\(flow.base)/edge/coalesced-mirrors/device_state/consolidate", "", token: "operate")
                .status == .forbidden
        )
        let consolidated = try await flow.post(
            "\(flow.base)/edge/coalesced-mirrors/device_state/consolidate",
            "",
            token: "admin"
        )
        #expect(consolidated.status == .ok)
        #expect(
            consolidated.json?["data"]?["lineage_ids"] == .array([.string(flow.rowsLineage)])
                && consolidated.json?["data"]?["rows_copied"] == .integer(3)
        )
        let rows = try await flow.mirrorRows(flow.rowsLineage)
        #expect(
            rows.meta.total == 3 && rows.data.allSatisfy { $0["_device_id"] == .string(flow.harness.fixture.device.id) }
        )
        // Live rows of the consolidated lineage now land in the shared target.
        _ = try await flow.harness.fixture.ingest(rowBatch(seqs: 4...4, columns: deviceStateV1), .rowBatch)
        #expect(try await flow.mirrorRows(flow.rowsLineage).meta.total == 4)
    }
}

import EdgeSyncModels
import Foundation
import Testing

@testable import Server

/// A lineage paused for `schema_review` always has an open review, whatever sequence of
/// decisions and schema changes reaches it (docs/spec/governance.md, "Schema reviews").
@Suite("Review invariant")
struct ReviewInvariantTests {
    typealias Flow = ReviewFlowTests.Flow

    /// The review's own suggested actions, as an approve body's `column_actions` members.
    static func suggested(_ detail: SchemaReviewDetail) throws -> String {
        let encoded = try JSONEncoder().encode(detail.suggestedActions)
        return String(String(decoding: encoded, as: UTF8.self).dropFirst().dropLast())
    }

    static func expectInvariant(_ flow: Flow, _ step: String) async throws {
        let detail = try await flow.lineage(flow.rowsLineage)
        guard detail.lineage.status == .paused, detail.lineage.pauseReason == .schemaReview else { return }
        let open = try #require(detail.openReviewID, "\(step): paused for schema_review without an open review")
        let review = try await flow.harness.get(
            "\(flow.base)/edge/schema-reviews/\(open)",
            as: ResourceEnvelope<SchemaReviewDetail>.self
        ).data.review
        #expect(review.status.isOpen, "\(step): the open review is \(review.status.rawValue)")
    }

    @Test func anAbandonedReviewIsQueuedAgainWhileRowsWait() async throws {
        let flow = try await Flow.make()
        let first = try await flow.review(of: flow.rowsLineage).review
        let abandoned = try await flow.post(
            "\(flow.base)/edge/schema-reviews/\(first.id)/abandon",
            #"{"action_version":\#(first.actionVersion),"reason":"not mine"}"#
        )
        #expect(abandoned.json?["data"]?["status"] == .string("abandoned"))
        var detail = try await flow.lineage(flow.rowsLineage)
        #expect(detail.lineage.pauseReason == .schemaReview)
        let again = try #require(detail.openReviewID)
        #expect(again != first.id)
        let staged = detail.lineage.stagedRowCount
        _ = try await flow.harness.fixture.ingest(rowBatch(seqs: 50...51, columns: deviceStateV1), .rowBatch)
        detail = try await flow.lineage(flow.rowsLineage)
        #expect(detail.lineage.stagedRowCount == staged + 2 && detail.openReviewID == again)
        let requeued = try await flow.review(of: flow.rowsLineage)
        #expect(requeued.review.status == .queued && requeued.review.schemaHash == first.schemaHash)
        // The queued-again review is approvable like the first.
        #expect(try await flow.approve(flow.rowsLineage, try Self.suggested(requeued)).status == .ok)
        #expect(try await flow.lineage(flow.rowsLineage).lineage.status == .active)
    }

    /// Random sequences of claim / approve / reject / abandon / new schema / plain batches, with
    /// the invariant checked after every step. Seeded, so a failure names a reproducible sequence.
    @Test(arguments: [1, 2, 3, 4])
    func theInvariantHoldsOverRandomSequences(seed: UInt64) async throws {
        let flow = try await Flow.make()
        var random = SplitMix64(seed: seed)
        let schemas = [
            deviceStateV1, deviceStateV2,
            SchemaFingerprint(
                tableName: "device_state",
                columns: deviceStateV1.columns + [
                    SchemaColumn(name: "level", declTypeAffinity: .real, pkOrdinal: 0, notNull: false)
                ]
            ),
        ]
        var seq: Int64 = 100
        for step in 0..<30 {
            let operation = Int(random.next() % 6)
            let detail = try await flow.lineage(flow.rowsLineage)
            let open: SchemaReviewDetail? =
                detail.openReviewID == nil ? nil : try await flow.review(of: flow.rowsLineage)
            let name: String
            switch (operation, open) {
            case (0, let open?) where open.review.status == .queued:
                name = "claim"
                _ = try await flow.post(
                    "\(flow.base)/edge/schema-reviews/\(open.review.id)/claim",
                    #"{"action_version":\#(open.review.actionVersion)}"#
                )
            case (1, let open?):
                name = "approve"
                var version = open.review.actionVersion
                if open.review.status == .queued {
                    _ = try await flow.post(
                        "\(flow.base)/edge/schema-reviews/\(open.review.id)/claim",
                        #"{"action_version":\#(version)}"#
                    )
                    version += 1
                }
                _ = try await flow.post(
                    "\(flow.base)/edge/schema-reviews/\(open.review.id)/approve",
                    #"{"action_version":\#(version),"column_actions":[\#(try Self.suggested(open))]}"#
                )
            case (2, let open?) where open.review.status == .inReview:
                name = "reject"
                _ = try await flow.post(
                    "\(flow.base)/edge/schema-reviews/\(open.review.id)/reject",
                    #"{"action_version":\#(open.review.actionVersion),"reason":"no"}"#
                )
            case (3, let open?):
                name = "abandon"
                _ = try await flow.post(
                    "\(flow.base)/edge/schema-reviews/\(open.review.id)/abandon",
                    #"{"action_version":\#(open.review.actionVersion),"force":true}"#,
                    token: "admin"
                )
            case (4, _):
                let schema = schemas[Int(random.next() % UInt64(schemas.count))]
                name = "batch of \(schema.schemaHash.prefix(8))"
                seq += 2
                _ = try await flow.harness.fixture.ingest(rowBatch(seqs: seq...(seq + 1), columns: schema), .rowBatch)
            default:
                name = "plain batch"
                seq += 2
                _ = try await flow.harness.fixture.ingest(rowBatch(seqs: seq...(seq + 1)), .rowBatch)
            }
            try await Self.expectInvariant(flow, "seed \(seed) step \(step) (\(name))")
        }
    }
}

/// A small seeded generator (SplitMix64): the same seed, the same sequence, on every platform.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

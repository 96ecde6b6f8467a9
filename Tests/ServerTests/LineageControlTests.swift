import EdgeSyncModels
import Foundation
import HTTPTypes
import TestSupport
import Testing

@testable import Server

/// Backpressure, the breaker, write-back, force and supersession: the decisions that send
/// controls to devices, checked through the API and the outbox.
@Suite("Backpressure, breaker, write-back and review rules")
struct LineageControlTests {
    typealias Flow = ReviewFlowTests.Flow

    func pendingKinds(_ flow: Flow, _ lineage: String) async throws -> [DownlinkControl.Kind] {
        try await flow.lineage(lineage).pendingControls.map(\.kind)
    }

    @Test func backpressurePausesTheDeviceAndTheSweepResumesIt() async throws {
        let flow = try await Flow.make()
        _ = try await flow.harness.send(
            .patch,
            "\(flow.base)/edge/policy",
            body: #"{"max_pending_rows_per_lineage":5}"#
        )
        let fixture = flow.harness.fixture
        let result = try await fixture.ingest(rowBatch(seqs: 4...9, columns: deviceStateV1), .rowBatch)
        #expect(result.controls.count == 1)
        var detail = try await flow.lineage(flow.rowsLineage)
        // Paused for its review already; the device is now told to stop publishing too.
        #expect(detail.lineage.pauseReason == .schemaReview && detail.lineage.stagedRowCount == 9)
        #expect(try await pendingKinds(flow, flow.rowsLineage) == [.pauseLineage])
        let control = try JSONDecoder().decode(DownlinkControl.self, from: Data(result.controls[0].body))
        #expect(
            control.payload == .pauseLineage(sourceTable: "device_state", serverWatermark: 9, reason: "backpressure")
        )
        #expect(try await flow.store.sweepBackpressure(now: .now).isEmpty, "still above the threshold")

        try await flow.approve(flow.rowsLineage, ReviewFlowTests.mirrorBoth)
        // Approving resumes the device from the server's watermark, then the replay drains.
        detail = try await flow.lineage(flow.rowsLineage)
        #expect(
            detail.lineage.status == .active && detail.pendingControls.map(\.kind) == [.pauseLineage, .resumeLineage]
        )
        try await flow.drainReplay()
        #expect(try await flow.lineage(flow.rowsLineage).lineage.mirroredRowCount == 9)

        // An active lineage over the cap (its live rows failing) is paused for backpressure; the
        // sweep resumes it once the backlog is below 80 %.
        _ = try await flow.harness.send(
            .patch,
            "\(flow.base)/edge/policy",
            body: #"{"max_pending_rows_per_lineage":2}"#
        )
        let bad = liveBatch(
            epoch: "01936f2e-5c3b-7a00-8000-000000000001",
            changes: [(20, "insert", 20, "x"), (21, "insert", 21, "y"), (22, "insert", 22, "z")]
        )
        var broken = bad
        broken["rows"] = .array(
            bad["rows"]!.arrayValue!.map { change in
                var change = change.objectValue!
                change["row"] = .object(["id": change["pk"]!["id"]!, "mode": .object(["$hex": .string("zz")])])
                return .object(change)
            }
        )
        _ = try await fixture.ingest(broken, .rowBatch)
        detail = try await flow.lineage(flow.rowsLineage)
        #expect(
            detail.lineage.status == .paused && detail.lineage.pauseReason == .backpressure
                && detail.lineage.stagedRowCount == 3
        )
        #expect(detail.lineage.lastMaterializationError?.contains("$hex") == true)
        _ = try await flow.harness.send(
            .patch,
            "\(flow.base)/edge/policy",
            body: #"{"max_pending_rows_per_lineage":100}"#
        )
        let resumed = try await flow.store.sweepBackpressure(now: .now)
        let status = try await flow.lineage(flow.rowsLineage).lineage.status
        #expect(resumed.count == 1 && status == .active)
    }

    @Test func fiveConsecutivePermanentFailuresOpenTheBreakerAndResetClosesIt() async throws {
        let flow = try await Flow.make()
        try await flow.approve(flow.rowsLineage, ReviewFlowTests.mirrorBoth)
        try await flow.drainReplay()
        let changes: [(Int64, String, Int64, String?)] = (10...16).map { ($0, "insert", $0, "m") }
        var batch = liveBatch(epoch: "01936f2e-5c3b-7a00-8000-000000000001", changes: changes)
        batch["rows"] = .array(
            batch["rows"]!.arrayValue!.map { change in
                var change = change.objectValue!
                change["row"] = .object(["id": change["pk"]!["id"]!, "mode": .object(["$hex": .string("not hex")])])
                return .object(change)
            }
        )
        let result = try await flow.harness.fixture.ingest(batch, .rowBatch)
        #expect(result.outcome == .staged && result.stagedRows == 7)
        var detail = try await flow.lineage(flow.rowsLineage)
        #expect(detail.lineage.status == .paused && detail.lineage.pauseReason == .materializationFailure)
        #expect(
            detail.lineage.materializationFailureCount == 5 && detail.pendingControls.map(\.kind) == [.pauseLineage]
        )
        let events = try await flow.harness.get(
            "\(flow.base)/events?kind=edge_materialization.failed",
            as: PageEnvelope<Event>.self
        ).data
        #expect(events.last?.outcome == "breaker_open")
        #expect(try await flow.store.sweepBackpressure(now: .now).isEmpty, "the sweep never lifts the breaker")

        let reset = try await flow.post("\(flow.base)/edge/lineages/\(flow.rowsLineage)/reset-materialization", "")
        #expect(reset.status == .ok)
        #expect(
            reset.json?["data"]
                == .object([
                    "lineage_id": .string(flow.rowsLineage), "status": .string("active"), "resumed": .bool(true),
                    "staged_row_count": .integer(7),
                ])
        )
        detail = try await flow.lineage(flow.rowsLineage)
        #expect(
            detail.lineage.materializationFailureCount == 0
                && detail.pendingControls.map(\.kind) == [.pauseLineage, .resumeLineage]
        )
    }

    @Test func cloudAuthoritativeWriteBack() async throws {
        let flow = try await Flow.make()
        let device = flow.harness.fixture.device.id
        let path = "\(flow.base)/devices/\(device)/edge/state-tables/\(flow.rowsLineage)/rows"
        let body = #"{"rows":[{"pk":{"id":1},"values":{"mode":"eco"}},{"pk":{"id":40},"values":{"mode":"new"}}]}"#
        #expect(
            try await flow.post(path, body).json?["error"]?["code"] == .string("edge_state_not_cloud_authoritative")
        )
        try await flow.approve(
            flow.rowsLineage,
            ReviewFlowTests.mirrorBoth,
            extra: #","sync_authority":"cloud_authoritative""#
        )
        try await flow.drainReplay()
        #expect(try await flow.post(path, body, token: "read").status == .forbidden)
        #expect(try await flow.post(path, #"{"rows":[]}"#).status == .unprocessableContent)
        #expect(
            try await flow.post(path, #"{"rows":[{"pk":{"id":1},"values":{"nope":1}}]}"#).json?["error"]?["code"]
                == .string("unknown_column")
        )
        #expect(
            try await flow.post(path, #"{"rows":[{"pk":{"mode":"x"},"values":{}}]}"#).status == .unprocessableContent
        )
        let written = try await flow.post(path, body)
        #expect(written.status == .created && written.json?["data"]?["rows_written"] == .integer(2))
        #expect(written.json?["data"]?["source_table"] == .string("device_state"))
        _ = try await flow.post(path, #"{"rows":[{"pk":{"id":1},"values":{"mode":"eco2"}}]}"#)
        let rows = try await flow.mirrorRows(flow.rowsLineage).data
        #expect(
            rows.first { $0["id"] == .integer(1) }?["_cloud_version"] == .integer(2)
                && rows.first { $0["id"] == .integer(1) }?["mode"] == .string("eco2")
        )
        #expect(rows.first { $0["id"] == .integer(40) }?["_cloud_version"] == .integer(1) && rows.count == 4)
        let controls = try await flow.store.unacknowledgedControls(deviceID: device)
        let stateWrite = try #require(
            try controls.map { try JSONDecoder().decode(DownlinkControl.self, from: Data($0.body)) }.first {
                $0.kind == .stateWrite
            }
        )
        #expect(
            stateWrite.payload
                == .stateWrite(
                    sourceTable: "device_state",
                    rows: [
                        StateWriteRow(pk: ["id": .integer(1)], values: ["mode": .string("eco")], cloudVersion: 1),
                        StateWriteRow(pk: ["id": .integer(40)], values: ["mode": .string("new")], cloudVersion: 1),
                    ]
                )
        )
        let other = "\(flow.base)/devices/\(device)/edge/state-tables/\(flow.telemetryLineage)/rows"
        #expect(
            try await flow.post(other, body).json?["error"]?["code"] == .string("edge_state_not_cloud_authoritative")
        )
    }

    @Test func forceSupersessionAndIdempotentApproval() async throws {
        let flow = try await Flow.make()
        let review = try await flow.review(of: flow.rowsLineage).review
        let path = "\(flow.base)/edge/schema-reviews/\(review.id)"
        _ = try await flow.post("\(path)/claim", #"{"action_version":1}"#)
        let approve = #"{"action_version":2,"force":true,"column_actions":[\#(ReviewFlowTests.mirrorBoth)]}"#
        #expect(try await flow.post("\(path)/approve", approve, token: "mirror").status == .forbidden)
        let key = UUID().uuidString
        let first = try await flow.harness.send(
            .post,
            "\(path)/approve",
            body: approve,
            token: "admin",
            key: .some(key)
        )
        #expect(first.status == .ok && first.json?["data"]?["decided_by"] == .string("admin"))
        let replayed = try await flow.harness.send(
            .post,
            "\(path)/approve",
            body: approve,
            token: "admin",
            key: .some(key)
        )
        #expect(
            replayed.status == .ok && replayed.body == first.body,
            "the same key returns the stored response without acting again"
        )
        let again = try await flow.harness.send(
            .post,
            "\(path)/approve",
            body: approve.replacingOccurrences(of: #""action_version":2"#, with: #""action_version":3"#),
            token: "admin"
        )
        #expect(again.json?["error"]?["code"] == .string("invalid_transition"))

        // A newer hash supersedes the open review of the telemetry lineage.
        let old = try await flow.review(of: flow.telemetryLineage).review
        var newer = try #require(
            try JSONParser().parse(Array(try SpecVectors.body("valid telemetry batch").utf8)).objectValue
        )
        newer["batch_seq"] = .integer(43)
        newer["batch_id"] = .string(UUIDv7Generator.shared.next().description)
        newer["schema_hash"] = .string(String(repeating: "b", count: 64))
        _ = try await flow.harness.fixture.ingest(newer, .telemetryBatch)
        let superseded = try await flow.harness.get(
            "\(flow.base)/edge/schema-reviews/\(old.id)",
            as: ResourceEnvelope<SchemaReviewDetail>.self
        ).data.review
        #expect(superseded.status == .abandoned && superseded.reason == "superseded")
        #expect(try await flow.review(of: flow.telemetryLineage).review.id != old.id)
    }
}

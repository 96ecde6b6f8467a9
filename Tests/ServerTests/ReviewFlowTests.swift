import EdgeSyncModels
import Foundation
import HTTPTypes
import Testing

@testable import Server

/// Claim → approve → replay → live materialization through the HTTP API, with every refusal.
@Suite("Reviews, approval and materialization")
struct ReviewFlowTests {
    struct Flow {
        var harness: APIHarness
        var rowsLineage: String
        var telemetryLineage: String

        var base: String { harness.base }
        var store: SQLGovernanceStore { harness.fixture.store }

        static func make() async throws -> Flow {
            let harness = try await APIHarness.make()
            let lineages = try await harness.get("\(harness.base)/edge/lineages", as: PageEnvelope<Lineage>.self).data
            return Flow(
                harness: harness,
                rowsLineage: lineages.first { $0.strategy == .rows }!.id,
                telemetryLineage: lineages.first { $0.strategy == .telemetry }!.id
            )
        }

        func review(of lineage: String) async throws -> SchemaReviewDetail {
            let id = try await harness.get("\(base)/edge/lineages/\(lineage)", as: ResourceEnvelope<LineageDetail>.self)
                .data.openReviewID!
            return try await harness.get(
                "\(base)/edge/schema-reviews/\(id)",
                as: ResourceEnvelope<SchemaReviewDetail>.self
            ).data
        }

        func post(_ path: String, _ body: String, token: String = "operate") async throws -> APIHarness.Reply {
            try await harness.send(.post, path, body: body, token: token)
        }

        func lineage(_ id: String) async throws -> LineageDetail {
            try await harness.get("\(base)/edge/lineages/\(id)", as: ResourceEnvelope<LineageDetail>.self).data
        }

        func mirrorRows(_ id: String, query: String = "") async throws -> PageEnvelope<JSONObject> {
            try await harness.get(
                "\(base)/edge/lineages/\(id)/mirror-rows\(query)",
                token: "mirror",
                as: PageEnvelope<JSONObject>.self
            )
        }

        func drainReplay() async throws {
            while try await store.replayStep(limit: 100, now: .now).replayed > 0 {}
        }

        /// Claims and approves the lineage's open review with `actions`.
        @discardableResult
        func approve(_ lineage: String, _ actions: String, extra: String = "") async throws -> APIHarness.Reply {
            let review = try await review(of: lineage).review
            let claimed = try await post(
                "\(base)/edge/schema-reviews/\(review.id)/claim",
                #"{"action_version":\#(review.actionVersion)}"#
            )
            #expect(claimed.status == .ok)
            return try await post(
                "\(base)/edge/schema-reviews/\(review.id)/approve",
                #"{"action_version":\#(review.actionVersion + 1),"column_actions":[\#(actions)]\#(extra)}"#
            )
        }
    }

    static let mirrorBoth =
        #"{"source_column_name":"id","action":"mirror"},{"source_column_name":"mode","action":"mirror"}"#

    @Test func claimApproveReplayAndGoLive() async throws {
        let flow = try await Flow.make()
        let review = try await flow.review(of: flow.rowsLineage).review
        #expect(review.status == .queued && review.actionVersion == 1)
        let path = "\(flow.base)/edge/schema-reviews/\(review.id)"
        let stale = try await flow.post("\(path)/claim", #"{"action_version":7}"#)
        #expect(stale.status == .conflict && stale.json?["error"]?["code"] == .string("action_version_conflict"))
        #expect(stale.json?["error"]?["details"]?["current_action_version"] == .integer(1))
        #expect(try await flow.post("\(path)/claim", #"{"action_version":1}"#, token: "read").status == .forbidden)
        func summary(_ token: String) async throws -> EdgeSummary {
            let path = "\(flow.base)/edge/summary"
            return try await flow.harness.get(path, token: token, as: ResourceEnvelope<EdgeSummary>.self).data
        }
        let before = try await summary("operate")
        #expect(before.reviews.inReview == 0 && before.reviews.queued >= 1 && before.lineages.paused >= 1)
        #expect(
            try await flow.post("\(path)/claim", #"{"action_version":1}"#).json?["data"]?["status"]
                == .string("in_review")
        )
        // The header counts the claimed review as in review, and as the claimer's own.
        let claimed = try await summary("operate")
        #expect(claimed.reviews == .init(queued: before.reviews.queued - 1, inReview: 1, mine: 1))
        #expect(try await summary("read").reviews.mine == 0)
        let open = try await flow.harness.get(
            "\(flow.base)/edge/schema-reviews?status=open",
            as: PageEnvelope<SchemaReview>.self
        )
        #expect(open.meta.total == before.reviews.queued && open.data.contains { $0.id == review.id })
        let notClaimer = try await flow.post(
            "\(path)/approve",
            #"{"action_version":2,"column_actions":[\#(Self.mirrorBoth)]}"#,
            token: "mirror"
        )
        #expect(notClaimer.status == .forbidden)
        let otherOperator = try await flow.harness.send(
            .post,
            "\(path)/approve",
            body: #"{"action_version":2,"column_actions":[\#(Self.mirrorBoth)]}"#,
            token: "admin"
        )
        #expect(otherOperator.json?["error"]?["code"] == .string("not_claimer"))

        for (actions, code) in [
            (#"{"source_column_name":"id","action":"mirror"}"#, "missing_column_action"),
            (#"\#(Self.mirrorBoth),{"source_column_name":"nope","action":"ignore"}"#, "unknown_column"),
            (
                #"{"source_column_name":"id","action":"ignore"},{"source_column_name":"mode","action":"mirror"}"#,
                "pk_must_be_mirrored"
            ),
            (
                #"{"source_column_name":"id","action":"mirror"},{"source_column_name":"mode","action":"mirror","mirror_column_name":"id"}"#,
                "duplicate_mirror_column"
            ),
            (
                #"{"source_column_name":"id","action":"mirror"},{"source_column_name":"mode","action":"mirror","mirror_column_name":"_mode"}"#,
                "invalid_mirror_column_name"
            ),
            (
                #"{"source_column_name":"id","action":"mirror"},{"source_column_name":"mode","action":"map"}"#,
                "validation_failed"
            ),
        ] {
            let reply = try await flow.post("\(path)/approve", #"{"action_version":2,"column_actions":[\#(actions)]}"#)
            #expect(
                reply.status == .unprocessableContent && reply.json?["error"]?["code"] == .string(code),
                "\(actions)"
            )
        }
        #expect(
            try await flow.lineage(flow.rowsLineage).lineage.status == .paused,
            "a refused approval changes nothing"
        )

        let approved = try await flow.post(
            "\(path)/approve",
            #"{"action_version":2,"column_actions":[\#(Self.mirrorBoth)]}"#
        )
        #expect(approved.status == .ok && approved.json?["data"]?["status"] == .string("approved"))
        #expect(
            try await flow.post("\(path)/reject", #"{"action_version":3}"#).json?["error"]?["code"]
                == .string("invalid_transition")
        )
        var detail = try await flow.lineage(flow.rowsLineage)
        #expect(detail.lineage.status == .active && detail.lineage.mirrorTable?.hasPrefix("edge_mirror_") == true)
        #expect(detail.bindings.map(\.action) == [.mirror, .mirror] && detail.replayIntent?.state == .pending)

        try await flow.drainReplay()
        detail = try await flow.lineage(flow.rowsLineage)
        #expect(
            detail.lineage.stagedRowCount == 0 && detail.lineage.mirroredRowCount == 3
                && detail.replayIntent?.state == .completed
        )
        let rows = try await flow.mirrorRows(flow.rowsLineage)
        #expect(rows.meta.source == "mirror" && rows.meta.total == 3)
        #expect(rows.data.map { $0["mode"] } == [.string("m1"), .string("m2"), .string("m3")])
        #expect(rows.data.first?["_device_id"] == .string(flow.harness.fixture.device.id))

        // Live: updates, deletes and a stale resend land (or not) by (journal_epoch, commit_seq).
        let epoch = "01936f2e-5c3b-7a00-8000-000000000001"
        let live = try await flow.harness.fixture.ingest(
            liveBatch(
                epoch: epoch,
                changes: [
                    (4, "update", 1, "hot"), (5, "delete", 2, nil), (6, "insert", 9, "new"),
                ]
            ),
            .rowBatch
        )
        #expect(live.outcome == .materialized && live.stagedRows == 0)
        _ = try await flow.harness.fixture.ingest(
            liveBatch(epoch: epoch, changes: [(3, "update", 1, "stale")]),
            .rowBatch
        )
        let after = try await flow.mirrorRows(flow.rowsLineage, query: "?order=-id")
        #expect(after.data.map { $0["id"] } == [.integer(9), .integer(3), .integer(1)])
        #expect(after.data.last?["mode"] == .string("hot") && after.meta.total == 3)
        #expect(try await flow.mirrorRows(flow.rowsLineage, query: "?q=ne").data.map { $0["id"] } == [.integer(9)])
        // Ignoring case; `!` keeps the rows that do not contain it.
        #expect(try await flow.mirrorRows(flow.rowsLineage, query: "?q=NE").data.map { $0["id"] } == [.integer(9)])
        let others = try await flow.mirrorRows(flow.rowsLineage, query: "?q=!ne")
        #expect(others.data.map { $0["id"] } == [.integer(1), .integer(3)] && others.meta.total == 2)
        #expect(
            try await flow.harness.send(
                .get,
                "\(flow.base)/edge/lineages/\(flow.rowsLineage)/mirror-rows?order=nope",
                token: "mirror"
            ).status == .badRequest
        )
        let events = try await flow.harness.get(
            "\(flow.base)/events?lineage_id=\(flow.rowsLineage)",
            as: PageEnvelope<Event>.self
        ).data.map(\.kind)
        #expect(
            events.contains(.reviewClaimed) && events.contains(.reviewApproved) && events.contains(.replayCompleted)
                && events.contains(.lineageResumed)
        )
    }

    @Test func telemetryWithInferredColumnsAutoCreatesDataPoints() async throws {
        let flow = try await Flow.make()
        let detail = try await flow.review(of: flow.telemetryLineage)
        #expect(detail.review.classification == .unknown && detail.columns?.map(\.name) == ["value_c"])
        #expect(detail.suggestedActions.map(\.action) == [.autoCreateAndMap])
        let refused = try await flow.approve(
            flow.telemetryLineage,
            #"{"source_column_name":"value_c","action":"auto_create_and_map"}"#
        )
        #expect(refused.json?["error"]?["code"] == .string("auto_create_not_allowed"))
        _ = try await flow.harness.send(
            .patch,
            "\(flow.base)/edge/policy",
            body: #"{"allow_auto_create_device_data_points":true}"#
        )
        let review = try await flow.review(of: flow.telemetryLineage).review
        let approved = try await flow.post(
            "\(flow.base)/edge/schema-reviews/\(review.id)/approve",
            #"{"action_version":\#(review.actionVersion),"column_actions":[{"source_column_name":"value_c","action":"auto_create_and_map"}]}"#
        )
        #expect(approved.status == .ok)
        try await flow.drainReplay()
        let series = try await flow.mirrorRows(flow.telemetryLineage)
        #expect(series.meta.source == "series" && series.data.count == 2)
        #expect(
            series.data.first?["value_c"] == .double(22.1)
                && series.data.first?["event_ts"] == .string("2026-04-28T09:00:01.000000000Z")
        )
        let points = try await flow.harness.get("\(flow.base)/data-points", as: PageEnvelope<DataPoint>.self).data
        #expect(points.map(\.name) == ["value_c"])
        #expect(try await flow.lineage(flow.telemetryLineage).bindings.first?.deviceDataPointID == points.first?.id)
    }

    @Test func rejectAbandonAndAnAdditiveReapprovalThatKeepsData() async throws {
        let flow = try await Flow.make()
        try await flow.approve(flow.rowsLineage, Self.mirrorBoth)
        try await flow.drainReplay()
        let fixture = flow.harness.fixture
        _ = try await fixture.ingest(rowBatch(seqs: 10...11, columns: deviceStateV2), .rowBatch)
        var detail = try await flow.lineage(flow.rowsLineage)
        #expect(
            detail.lineage.status == .paused && detail.lineage.pauseReason == .schemaReview
                && detail.lineage.stagedRowCount == 2
        )
        let additive = try await flow.review(of: flow.rowsLineage)
        #expect(additive.review.classification == .compatibleAdditive)
        #expect(
            additive.diff.first { $0.name == "zone" }?.marker == .added
                && additive.diff.first { $0.name == "mode" }?.previousBinding?.action == .mirror
        )
        let zone = #",{"source_column_name":"zone","action":"mirror","mirror_column_name":"area"}"#
        #expect(try await flow.approve(flow.rowsLineage, Self.mirrorBoth + zone).status == .ok)
        try await flow.drainReplay()
        detail = try await flow.lineage(flow.rowsLineage)
        #expect(detail.lineage.status == .active && detail.lineage.mirroredRowCount == 5)
        let rows = try await flow.mirrorRows(flow.rowsLineage)
        #expect(rows.data.count == 5 && rows.data[0]["area"] == .null && rows.data[0]["mode"] == .string("m1"))

        // A breaking change is rejected: the lineage stays paused (rejected), rows stay staged.
        let breaking = SchemaFingerprint(
            tableName: "device_state",
            columns: [SchemaColumn(name: "id", declTypeAffinity: .text, pkOrdinal: 1, notNull: true)]
        )
        _ = try await fixture.ingest(rowBatch(seqs: 20...20, columns: breaking), .rowBatch)
        let review = try await flow.review(of: flow.rowsLineage).review
        #expect(review.classification == .breaking)
        _ = try await flow.post("\(flow.base)/edge/schema-reviews/\(review.id)/claim", #"{"action_version":1}"#)
        let rejected = try await flow.post(
            "\(flow.base)/edge/schema-reviews/\(review.id)/reject",
            #"{"action_version":2,"reason":"id must stay an integer"}"#
        )
        #expect(
            rejected.json?["data"]?["status"] == .string("rejected")
                && rejected.json?["data"]?["reason"] == .string("id must stay an integer")
        )
        detail = try await flow.lineage(flow.rowsLineage)
        #expect(detail.lineage.pauseReason == .rejected && detail.lineage.stagedRowCount == 1)

        // Abandon a queued review of the telemetry lineage (no claim needed).
        let telemetry = try await flow.review(of: flow.telemetryLineage).review
        let abandoned = try await flow.post(
            "\(flow.base)/edge/schema-reviews/\(telemetry.id)/abandon",
            #"{"action_version":1,"reason":"test data"}"#
        )
        #expect(abandoned.json?["data"]?["status"] == .string("abandoned"))
    }

    /// The preview is the approval's own plan on the server's database: the CREATE TABLE before
    /// the first approval, the ADD COLUMNs of a re-approval, the same refusals, and nothing changed.
    @Test func thePreviewShowsTheDDLTheApprovalRuns() async throws {
        let flow = try await Flow.make()
        let review = try await flow.review(of: flow.rowsLineage).review
        let path = "\(flow.base)/edge/schema-reviews/\(review.id)/preview"
        func preview(_ actions: String, token: String = "read") async throws -> APIHarness.Reply {
            try await flow.harness.send(
                .post,
                path,
                body: #"{"column_actions":[\#(actions)]}"#,
                token: token,
                key: .none
            )
        }
        let first = try await preview(Self.mirrorBoth)
        #expect(first.status == .ok)
        let answer = try JSONDecoder().decode(ResourceEnvelope<ApprovalPreview>.self, from: Data(first.body)).data
        let dialect = flow.store.dialect
        #expect(answer.dialect == dialect.name && !answer.targetExists && answer.targetTable.hasPrefix("edge_mirror_"))
        #expect(
            answer.statements
                == dialect.createStatements(
                    MaterializationTarget(
                        kind: .mirror,
                        table: answer.targetTable,
                        columns: [
                            .init(source: "id", target: "id", affinity: .integer, pkOrdinal: 1),
                            .init(source: "mode", target: "mode", affinity: .text, pkOrdinal: 0),
                        ]
                    )
                )
        )
        // The staged rows as they would land, in replay order, with the renamed column.
        let renamed = try JSONDecoder().decode(
            ResourceEnvelope<ApprovalPreview>.self,
            from: Data(
                try await preview(
                    #"{"source_column_name":"id","action":"mirror"},"#
                        + #"{"source_column_name":"mode","action":"mirror","mirror_column_name":"state"}"#
                ).body
            )
        ).data
        #expect(renamed.columns == ["id", "state"] && renamed.stagedRows == 3 && renamed.staleColumns.isEmpty)
        #expect(
            renamed.landing
                == (1...3).map { LandingRow(op: .insert, values: ["id": .integer($0), "state": .string("m\($0)")]) }
        )
        let refused = try await preview(
            #"{"source_column_name":"id","action":"ignore"},{"source_column_name":"mode","action":"mirror"}"#
        )
        #expect(
            refused.status == .unprocessableContent && refused.json?["error"]?["code"] == .string("pk_must_be_mirrored")
        )
        #expect(try await preview(Self.mirrorBoth, token: "none").status == .unauthorized)
        #expect(try await flow.review(of: flow.rowsLineage).review.actionVersion == review.actionVersion)
        #expect(try await flow.store.backend.read { try $0.tableExists(answer.targetTable) } == false)

        try await flow.approve(flow.rowsLineage, Self.mirrorBoth)
        _ = try await flow.harness.fixture.ingest(rowBatch(seqs: 10...11, columns: deviceStateV2), .rowBatch)
        let additive = try await flow.review(of: flow.rowsLineage).review
        let zone = #",{"source_column_name":"zone","action":"mirror","mirror_column_name":"area"}"#
        let extend = try await flow.harness.send(
            .post,
            "\(flow.base)/edge/schema-reviews/\(additive.id)/preview",
            body: #"{"column_actions":[\#(Self.mirrorBoth + zone)]}"#,
            token: "read",
            key: .none
        )
        let extended = try JSONDecoder().decode(ResourceEnvelope<ApprovalPreview>.self, from: Data(extend.body)).data
        #expect(extended.targetExists && extended.targetTable == answer.targetTable)
        #expect(
            extended.statements
                == [#"ALTER TABLE "\#(answer.targetTable)" ADD COLUMN "area" \#(dialect.columnType(.text))"#]
        )
        // The first rows wait for the replay still; the device sent no zone: no row has an area.
        #expect(
            extended.staleColumns.isEmpty
                && extended.landing.map(\.values)
                    == [1, 2, 3, 10, 11].map { ["id": .integer($0), "mode": .string("m\($0)")] }
        )
        // A re-approval that stops writing mode says that the column keeps its values, unchanged.
        let stopping = try await flow.harness.send(
            .post,
            "\(flow.base)/edge/schema-reviews/\(additive.id)/preview",
            body: #"{"column_actions":[{"source_column_name":"id","action":"mirror"},"#
                + #"{"source_column_name":"mode","action":"ignore"},{"source_column_name":"zone","action":"mirror"}]}"#,
            token: "read",
            key: .none
        )
        let stopped = try JSONDecoder().decode(ResourceEnvelope<ApprovalPreview>.self, from: Data(stopping.body)).data
        #expect(stopped.staleColumns == ["mode"] && stopped.columns == ["id", "zone"])
    }

    @Test func deleteLineageAndDevice() async throws {
        let flow = try await Flow.make()
        try await flow.approve(flow.rowsLineage, Self.mirrorBoth)
        let table = try #require(try await flow.lineage(flow.rowsLineage).lineage.mirrorTable)
        #expect(
            try await flow.harness.send(.delete, "\(flow.base)/edge/lineages/\(flow.rowsLineage)", token: "read").status
                == .forbidden
        )
        #expect(
            try await flow.harness.send(.delete, "\(flow.base)/edge/lineages/\(flow.rowsLineage)", token: "operate")
                .status == .noContent
        )
        #expect(try await flow.harness.send(.get, "\(flow.base)/edge/lineages/\(flow.rowsLineage)").status == .notFound)
        #expect(try await flow.store.backend.read { try $0.tableExists(table) } == false)
        // The table can start over: its first batch creates a new lineage and review.
        _ = try await flow.harness.fixture.ingest(rowBatch(seqs: 1...3, columns: deviceStateV1), .rowBatch)
        #expect(
            try await flow.harness.get("\(flow.base)/edge/lineages", as: PageEnvelope<Lineage>.self).meta.total == 2
        )
        let device = flow.harness.fixture.device.id
        #expect(
            try await flow.harness.send(.delete, "\(flow.base)/devices/\(device)", token: "operate").status
                == .forbidden
        )
        #expect(try await flow.harness.send(.delete, "\(flow.base)/devices/\(device)").status == .noContent)
        #expect(
            try await flow.harness.get("\(flow.base)/edge/lineages", as: PageEnvelope<Lineage>.self).meta.total == 0
        )
    }
}

/// A row batch of explicit changes `(commit_seq, op, id, mode)` on `device_state` (schema v1).
func liveBatch(
    epoch: String,
    changes: [(Int64, String, Int64, String?)],
    columns: SchemaFingerprint = deviceStateV1
) -> JSONObject {
    var object = rowBatch(seqs: changes.first!.0...changes.last!.0, epoch: epoch, columns: columns)
    object["rows"] = .array(
        changes.map { seq, op, id, mode in
            var change: JSONObject = [
                "commit_seq": .integer(seq), "op": .string(op), "pk": .object(["id": .integer(id)]),
            ]
            if let mode { change["row"] = .object(["id": .integer(id), "mode": .string(mode)]) }
            return .object(change)
        }
    )
    return object
}

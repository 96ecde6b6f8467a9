import EdgeSyncModels
import Foundation
import HTTPTypes
import TestSupport
import Testing

@testable import Server

/// What an independent device written from the contract relies on: a keyless table decided
/// cleanly, telemetry `row_id` kept, mirror values encoded as on the wire, and a rejected batch
/// kept until an operator re-ingests it.
@Suite("Wire contract")
struct WireContractTests {
    typealias Flow = ReviewFlowTests.Flow

    static func batch(
        table: String,
        columns: SchemaFingerprint,
        rows: [(seq: Int64, pk: JSONObject, row: JSONObject)]
    ) -> JSONObject {
        [
            "format_version": .integer(1), "capture_strategy": .string("sqlite_row_batch_v1"),
            "batch_id": .string(UUIDv7Generator.shared.next().description),
            "journal_epoch": .string("01936f2e-5c3b-7a00-8000-000000000001"), "source_table": .string(table),
            "schema_hash": .string(columns.schemaHash), "schema_columns": columns.jsonValue,
            "first_commit_seq": .integer(rows.map(\.seq).min() ?? 0),
            "last_commit_seq": .integer(rows.map(\.seq).max() ?? 0),
            "rows": .array(
                rows.map {
                    .object([
                        "commit_seq": .integer($0.seq), "op": .string("insert"), "pk": .object($0.pk),
                        "row": .object($0.row),
                    ])
                }
            ),
        ]
    }

    static func approveBody(_ flow: Flow, lineage: String) async throws -> (SchemaReview, String) {
        let detail = try await flow.review(of: lineage)
        return (detail.review, try ReviewInvariantTests.suggested(detail))
    }

    static func lineageID(_ flow: Flow, table: String) async throws -> String {
        try #require(
            try await flow.harness.get(
                "\(flow.base)/edge/lineages?source_table=\(table)",
                as: PageEnvelope<Lineage>.self
            )
            .data.first?.id
        )
    }

    @Test func aKeylessRowsTableIsFlaggedAndItsApprovalRefusedWith422() async throws {
        let flow = try await Flow.make()
        let keyless = SchemaFingerprint(
            tableName: "readings",
            columns: [
                SchemaColumn(name: "note", declTypeAffinity: .text, pkOrdinal: 0, notNull: false),
                SchemaColumn(name: "value", declTypeAffinity: .real, pkOrdinal: 0, notNull: false),
            ]
        )
        _ = try await flow.harness.fixture.ingest(
            Self.batch(
                table: "readings",
                columns: keyless,
                rows: [(1, ["rowid": .integer(1)], ["note": .string("a"), "value": .double(1.5)])]
            ),
            .rowBatch
        )
        let lineage = try await Self.lineageID(flow, table: "readings")
        let (review, actions) = try await Self.approveBody(flow, lineage: lineage)
        #expect(review.classificationReason.contains("no primary key"))
        let preview = try await flow.post(
            "\(flow.base)/edge/schema-reviews/\(review.id)/preview",
            #"{"column_actions":[\#(actions)]}"#,
            token: "read"
        )
        #expect(preview.status == .unprocessableContent)
        #expect(preview.json?["error"]?["code"] == .string("table_without_primary_key"))
        let approved = try await flow.approve(lineage, actions)
        #expect(approved.status == .unprocessableContent)
        #expect(approved.json?["error"]?["code"] == .string("table_without_primary_key"))
        #expect(try await flow.lineage(lineage).lineage.stagedRowCount == 1)
    }

    @Test func telemetryRowIDsReachTheSeriesStagedAndLive() async throws {
        let flow = try await Flow.make()
        func samples(seq: Int64, ids: ClosedRange<Int>) -> JSONObject {
            let rows = ids.map { id -> JSONValue in
                .object([
                    "ts": .string("2026-04-28T09:00:\(String(format: "%02d", id))Z"), "row_id": .string("\(id)"),
                    "fields": .object(["value_c": .double(Double(id) + 0.5)]),
                ])
            }
            return [
                "format_version": .integer(1), "capture_strategy": .string("sqlite_telemetry_batch_v1"),
                "batch_id": .string(UUIDv7Generator.shared.next().description), "batch_seq": .integer(seq),
                "source_table": .string("probe"), "schema_hash": .string(String(repeating: "b", count: 64)),
                "cursor_start_ts": .string("2026-04-28T09:00:\(String(format: "%02d", ids.lowerBound))Z"),
                "cursor_end_ts": .string("2026-04-28T09:00:\(String(format: "%02d", ids.upperBound))Z"),
                "row_count": .integer(Int64(ids.count)), "rows": .array(rows),
            ]
        }
        let allowed = try await flow.harness.send(
            .patch,
            "\(flow.base)/edge/policy",
            body: #"{"allow_auto_create_device_data_points": true}"#
        )
        #expect(allowed.status == .ok)
        _ = try await flow.harness.fixture.ingest(samples(seq: 1, ids: 1...3), .telemetryBatch)
        let lineage = try await Self.lineageID(flow, table: "probe")
        let staged = try await flow.harness.get(
            "\(flow.base)/edge/lineages/\(lineage)/staged-rows",
            token: "mirror",
            as: PageEnvelope<StagedRow>.self
        )
        #expect(staged.data.map(\.rowID) == ["1", "2", "3"])
        let (_, actions) = try await Self.approveBody(flow, lineage: lineage)
        let approved = try await flow.approve(lineage, actions)
        #expect(approved.status == .ok, "\(String(decoding: approved.body, as: UTF8.self))")
        try await flow.drainReplay()
        _ = try await flow.harness.fixture.ingest(samples(seq: 2, ids: 4...5), .telemetryBatch)
        let series = try await flow.mirrorRows(lineage, query: "?limit=10")
        #expect(Set(series.data.compactMap { $0["row_id"]?.stringValue }) == ["1", "2", "3", "4", "5"])
    }

    @Test func mirrorValuesComeBackAsTheWireSentThem() async throws {
        let flow = try await Flow.make()
        let columns = SchemaFingerprint(
            tableName: "gauges",
            columns: [
                SchemaColumn(name: "id", declTypeAffinity: .integer, pkOrdinal: 1, notNull: true),
                SchemaColumn(name: "level", declTypeAffinity: .real, pkOrdinal: 0, notNull: false),
                SchemaColumn(name: "raw", declTypeAffinity: .blob, pkOrdinal: 0, notNull: false),
            ]
        )
        // Sent as text: `40.0` on the wire (canonical JSON would write it as `40`).
        let body = CanonicalJSON.string(
            of: .object(
                Self.batch(
                    table: "gauges",
                    columns: columns,
                    rows: [
                        (
                            1, ["id": .integer(1)],
                            ["id": .integer(1), "level": .double(40.5), "raw": .object(["$hex": .string("0a1b")])]
                        ),
                        (
                            2, ["id": .integer(2)],
                            ["id": .integer(2), "level": .double(0.25), "raw": .object(["$hex": .string("FF")])]
                        ),
                    ]
                )
            )
        ).replacingOccurrences(of: "40.5", with: "40.0")
        _ = try await flow.harness.fixture.ingest(body, .rowBatch)
        let lineage = try await Self.lineageID(flow, table: "gauges")
        let staged = try await flow.harness.send(
            .get,
            "\(flow.base)/edge/lineages/\(lineage)/staged-rows",
            token: "mirror"
        )
        #expect(String(decoding: staged.body, as: UTF8.self).contains(#""level":40.0"#))
        let (_, actions) = try await Self.approveBody(flow, lineage: lineage)
        let approved = try await flow.approve(lineage, actions)
        #expect(approved.status == .ok, "\(String(decoding: approved.body, as: UTF8.self))")
        try await flow.drainReplay()
        let reply = try await flow.harness.send(
            .get,
            "\(flow.base)/edge/lineages/\(lineage)/mirror-rows",
            token: "mirror"
        )
        let text = String(decoding: reply.body, as: UTF8.self)
        #expect(text.contains(#""level":40.0"#) && text.contains(#""level":0.25"#), "\(text)")
        #expect(text.contains(#"{"$hex":"0A1B"}"#) && text.contains(#"{"$hex":"FF"}"#), "\(text)")
        #expect(text.contains(#""id":1"#) && !text.contains(#""id":1.0"#))
    }

    @Test func aRejectedBatchIsKeptServedAndReingestedOnceItsCauseIsFixed() async throws {
        let flow = try await Flow.make()
        let fixture = flow.harness.fixture
        // The rows lineage `device_state` exists: a telemetry batch for it is rejected.
        let telemetry = Array(try SpecVectors.body("valid telemetry batch").utf8)
        var body = try JSONParser().parse(telemetry).objectValue!
        body["source_table"] = .string("device_state")
        body["batch_id"] = .string(UUIDv7Generator.shared.next().description)
        let bytes = CanonicalJSON.bytes(of: .object(body))
        let rejected = try await fixture.pipeline.ingest(
            device: fixture.device,
            topic: .telemetryBatch,
            payload: bytes,
            receivedAt: .now
        )
        #expect(rejected.rejection == .invalidCaptureStrategy)
        let entry = try #require(rejected.ledgerID)
        let listed = try await flow.harness.get(
            "\(flow.base)/edge/batches?outcome=rejected&code=invalid_capture_strategy",
            as: PageEnvelope<BatchLedgerEntry>.self
        )
        #expect(listed.data.map(\.id) == [entry] && listed.data[0].payloadKept)
        let payload = try await flow.harness.send(.get, "\(flow.base)/edge/batches/\(entry)/payload", token: "mirror")
        #expect(payload.status == .ok && payload.body == bytes)
        let unscoped = try await flow.harness.send(.get, "\(flow.base)/edge/batches/\(entry)/payload", token: "read")
        #expect(unscoped.status == .forbidden)

        // The cause is fixed (the rows lineage is deleted, the table is telemetry now): re-ingest.
        let deleted = try await flow.harness.send(.delete, "\(flow.base)/edge/lineages/\(flow.rowsLineage)")
        #expect(deleted.status == .noContent)
        let forbidden = try await flow.harness.send(.post, "\(flow.base)/edge/batches/\(entry)/reingest", token: "read")
        #expect(forbidden.status == .forbidden)
        let again = try await flow.harness.send(.post, "\(flow.base)/edge/batches/\(entry)/reingest", token: "operate")
        #expect(again.status == .ok, "\(String(decoding: again.body, as: UTF8.self))")
        #expect(again.json?["data"]?["outcome"] == .string("staged"))
        #expect((again.json?["data"]?["staged_rows"]?.integerValue ?? 0) > 0)
        let lineage = try await Self.lineageID(flow, table: "device_state")
        #expect(try await flow.lineage(lineage).lineage.strategy == .telemetry)
        // Re-ingested once: a second attempt finds no kept payload and says where it went.
        let twice = try await flow.harness.send(.post, "\(flow.base)/edge/batches/\(entry)/reingest", token: "operate")
        #expect(twice.status == .notFound && twice.json?["error"]?["code"] == .string("payload_not_kept"))
    }

    @Test func reingestStagesTheRowsOnceAndAnswersWhatTheyBecame() async throws {
        let flow = try await Flow.make()
        let fixture = flow.harness.fixture
        // A telemetry batch whose batch_seq another batch already used is rejected; resetting
        // the lineage's history is not needed: a new epoch of seqs comes from a deleted lineage.
        let first = try JSONParser().parse(Array(try SpecVectors.body("valid telemetry batch").utf8)).objectValue!
        var reused = first
        reused["batch_id"] = .string(UUIDv7Generator.shared.next().description)
        let bytes = CanonicalJSON.bytes(of: .object(reused))
        let rejected = try await fixture.pipeline.ingest(
            device: fixture.device,
            topic: .telemetryBatch,
            payload: bytes,
            receivedAt: .now
        )
        #expect(rejected.rejection == .duplicateBatchSeq)
        let entry = try #require(rejected.ledgerID)
        let reply = try await flow.harness.send(.post, "\(flow.base)/edge/batches/\(entry)/reingest", token: "operate")
        #expect(reply.status == .ok)
        #expect(
            reply.json?["data"]?["outcome"] == .string("rejected")
                && reply.json?["data"]?["rejection_code"] == .string("duplicate_batch_seq")
        )
        let newEntry = try #require(reply.json?["data"]?["reingested_entry_id"]?.integerValue)
        // One copy of the bytes: on the new entry; the old one says where they went.
        let old = try await flow.harness.send(.get, "\(flow.base)/edge/batches/\(entry)/payload", token: "mirror")
        #expect(old.status == .notFound && old.json?["error"]?["code"] == .string("payload_not_kept"))
        #expect(old.json?["error"]?["details"]?["reingested_entry_id"]?.integerValue == newEntry)
        let kept = try await flow.harness.send(.get, "\(flow.base)/edge/batches/\(newEntry)/payload", token: "mirror")
        #expect(kept.status == .ok && kept.body == bytes)
        let events = try await flow.harness.get(
            "\(flow.base)/events?kind=edge_batch.reingested",
            as: PageEnvelope<Event>.self
        )
        #expect(events.data.count == 1)
    }

    /// A device that lost its state starts its telemetry batch_seq again at 1: refused as
    /// `duplicate_batch_seq` until it sends a new `journal_epoch`, which starts the sequence over.
    @Test func aNewJournalEpochIsTheWayBackForADeviceThatLostItsState() async throws {
        let fixture = try await StoreFixture.make()
        func batch(seq: Int64, epoch: String?, second: Int) -> JSONObject {
            var object: JSONObject = [
                "format_version": .integer(1), "capture_strategy": .string("sqlite_telemetry_batch_v1"),
                "batch_id": .string(UUIDv7Generator.shared.next().description), "batch_seq": .integer(seq),
                "source_table": .string("temps"), "schema_hash": .string(String(repeating: "c", count: 64)),
                "cursor_start_ts": .string("2026-04-28T09:00:\(String(format: "%02d", second))Z"),
                "cursor_end_ts": .string("2026-04-28T09:00:\(String(format: "%02d", second))Z"),
                "row_count": .integer(1),
                "rows": .array([
                    .object([
                        "ts": .string("2026-04-28T09:00:\(String(format: "%02d", second))Z"),
                        "fields": .object(["v": .integer(Int64(second))]),
                    ])
                ]),
            ]
            if let epoch { object["journal_epoch"] = .string(epoch) }
            return object
        }
        for seq in 1...3 {
            #expect(
                try await fixture.ingest(batch(seq: Int64(seq), epoch: nil, second: seq), .telemetryBatch).outcome
                    == .staged
            )
        }
        #expect(
            try await fixture.ingest(batch(seq: 1, epoch: nil, second: 10), .telemetryBatch).rejection
                == .duplicateBatchSeq
        )
        let epoch = UUIDv7Generator.shared.next().description
        #expect(try await fixture.ingest(batch(seq: 1, epoch: epoch, second: 11), .telemetryBatch).outcome == .staged)
        #expect(try await fixture.ingest(batch(seq: 2, epoch: epoch, second: 12), .telemetryBatch).outcome == .staged)
        #expect(
            try await fixture.ingest(batch(seq: 2, epoch: epoch, second: 13), .telemetryBatch).rejection
                == .duplicateBatchSeq
        )
        #expect(
            try await fixture.ingest(batch(seq: 4, epoch: nil, second: 14), .telemetryBatch).rejection == .staleBatchSeq
        )
        let lineage = try #require(
            try await fixture.store.lineages(projectID: fixture.projectID, filter: LineageFilter(), page: PageRequest())
                .items.first { $0.sourceTable == "temps" }
        )
        #expect(lineage.stagedRowCount == 5)
    }

    @Test func keptPayloadsStayWithinThePolicyAndTheOldestAreEvicted() async throws {
        let flow = try await Flow.make()
        let fixture = flow.harness.fixture
        let patched = try await flow.harness.send(
            .patch,
            "\(flow.base)/edge/policy",
            body: #"{"max_rejected_payload_bytes": 2500}"#
        )
        #expect(patched.status == .ok)
        var entries: [Int64] = []
        for index in 0..<3 {
            let body = #"{"format_version":1,"padding":"\#(String(repeating: "x", count: 1000))","n":\#(index)}"#
            let result = try await fixture.ingest(body, .rowBatch)
            entries.append(try #require(result.ledgerID))
        }
        let status = try await entries.asyncMap {
            try await flow.harness.send(.get, "\(flow.base)/edge/batches/\($0)/payload", token: "mirror").status
        }
        #expect(status == [.notFound, .ok, .ok])
        let evicted = try await flow.harness.get(
            "\(flow.base)/events?kind=edge_batch.payload_evicted",
            as: PageEnvelope<Event>.self
        )
        // The harness's own rejection (kept before the limit was lowered) goes first, then entries[0].
        #expect(
            evicted.data.contains { $0.message.contains("entries \(entries[0])") },
            "\(evicted.data.map(\.message))"
        )
        let accepted = try await fixture.ingest(rowBatch(seqs: 90...90, columns: deviceStateV1), .rowBatch)
        let notRejected = try await flow.harness.send(
            .get,
            "\(flow.base)/edge/batches/\(try #require(accepted.ledgerID))/payload",
            token: "mirror"
        )
        #expect(notRejected.status == .notFound && notRejected.json?["error"]?["code"] == .string("payload_not_kept"))
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async throws -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}

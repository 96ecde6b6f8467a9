import EdgeSyncModels
import Foundation
import TestSupport
import Testing

@testable import Server

/// Names a device chooses never make an approval fail with 500 or leave a lineage unapprovable:
/// every derived name is unique by construction, the server's suggestions always validate, and a
/// target the store cannot hold is a 422 that says what to change.
@Suite("Derived names")
struct DerivedNameTests {
    typealias Flow = ReviewFlowTests.Flow

    static func telemetry(table: String, fields: JSONObject) -> JSONObject {
        [
            "format_version": .integer(1), "capture_strategy": .string("sqlite_telemetry_batch_v1"),
            "batch_id": .string(UUIDv7Generator.shared.next().description), "batch_seq": .integer(1),
            "source_table": .string(table), "schema_hash": .string(String(repeating: "c", count: 64)),
            "cursor_start_ts": .string("2026-04-28T09:00:00Z"), "cursor_end_ts": .string("2026-04-28T09:00:00Z"),
            "row_count": .integer(1),
            "rows": .array([.object(["ts": .string("2026-04-28T09:00:00Z"), "fields": .object(fields)])]),
        ]
    }

    static func approveSuggested(_ flow: Flow, table: String) async throws -> APIHarness.Reply {
        let lineage = try await WireContractTests.lineageID(flow, table: table)
        let (_, actions) = try await WireContractTests.approveBody(flow, lineage: lineage)
        return try await flow.approve(lineage, actions)
    }

    static func allowAutoCreate(_ flow: Flow) async throws {
        let allowed = try await flow.harness.send(
            .patch,
            "\(flow.base)/edge/policy",
            body: #"{"allow_auto_create_device_data_points": true}"#
        )
        #expect(allowed.status == .ok)
    }

    @Test func seriesNamedLikeAnotherSeriesIndexBothApprove() async throws {
        let flow = try await Flow.make()
        try await Self.allowAutoCreate(flow)
        for table in ["foo_by_time", "foo"] {
            _ = try await flow.harness.fixture.ingest(
                Self.telemetry(table: table, fields: ["v": .double(1)]),
                .telemetryBatch
            )
            let approved = try await Self.approveSuggested(flow, table: table)
            #expect(approved.status == .ok, "\(table): \(String(decoding: approved.body, as: UTF8.self))")
        }
    }

    @Test func fieldsNamedLikeTheSeriesOwnColumnsGetNamesOfTheirOwn() async throws {
        let flow = try await Flow.make()
        try await Self.allowAutoCreate(flow)
        let fields: JSONObject = ["device_id": .string("inner"), "row_id": .integer(7), "value": .double(2.5)]
        _ = try await flow.harness.fixture.ingest(Self.telemetry(table: "probe2", fields: fields), .telemetryBatch)
        let approved = try await Self.approveSuggested(flow, table: "probe2")
        #expect(approved.status == .ok, "\(String(decoding: approved.body, as: UTF8.self))")
        try await flow.drainReplay()
        let lineage = try await WireContractTests.lineageID(flow, table: "probe2")
        let row = try #require(try await flow.mirrorRows(lineage).data.first)
        #expect(row["device_id"] == .string(flow.harness.fixture.device.id))
        #expect(row.members.map(\.value).contains(.string("inner")) && row.members.map(\.value).contains(.integer(7)))
    }

    @Test func aColumnNamedLikeAnotherColumnsDerivedNameKeepsBoth() async throws {
        let flow = try await Flow.make()
        let derived = MirrorIdentifier.columnName(forSourceColumn: "Temp")
        let columns = SchemaFingerprint(
            tableName: "kiln",
            columns: [
                SchemaColumn(name: "id", declTypeAffinity: .integer, pkOrdinal: 1, notNull: true),
                SchemaColumn(name: "Temp", declTypeAffinity: .real, pkOrdinal: 0, notNull: false),
                SchemaColumn(name: derived, declTypeAffinity: .real, pkOrdinal: 0, notNull: false),
            ]
        )
        let row: JSONObject = ["id": .integer(1), "Temp": .double(1.5), derived: .double(2.5)]
        _ = try await flow.harness.fixture.ingest(
            WireContractTests.batch(table: "kiln", columns: columns, rows: [(1, ["id": .integer(1)], row)]),
            .rowBatch
        )
        let approved = try await Self.approveSuggested(flow, table: "kiln")
        #expect(approved.status == .ok, "\(String(decoding: approved.body, as: UTF8.self))")
        try await flow.drainReplay()
        let lineage = try await WireContractTests.lineageID(flow, table: "kiln")
        let mirrored = try #require(try await flow.mirrorRows(lineage).data.first)
        #expect(mirrored[derived] == .double(2.5))
        #expect(mirrored.members.filter { $0.value == .double(1.5) }.count == 1)
    }

    @Test func aTableWiderThanTheStoreIsA422AndStaysApprovable() async throws {
        let flow = try await Flow.make()
        let wide = (1...2_001).map {
            SchemaColumn(name: "c\($0)", declTypeAffinity: .integer, pkOrdinal: 0, notNull: false)
        }
        let columns = SchemaFingerprint(
            tableName: "wide",
            columns: [SchemaColumn(name: "id", declTypeAffinity: .integer, pkOrdinal: 1, notNull: true)] + wide
        )
        _ = try await flow.harness.fixture.ingest(
            WireContractTests.batch(
                table: "wide",
                columns: columns,
                rows: [(1, ["id": .integer(1)], ["id": .integer(1), "c1": .integer(5)])]
            ),
            .rowBatch
        )
        let refused = try await Self.approveSuggested(flow, table: "wide")
        #expect(refused.status == .unprocessableContent, "\(String(decoding: refused.body, as: UTF8.self))")
        #expect(refused.json?["error"]?["code"] == .string("validation_failed"))
        let lineage = try await WireContractTests.lineageID(flow, table: "wide")
        let narrow =
            #"{"source_column_name":"id","action":"mirror"},{"source_column_name":"c1","action":"mirror"},"#
            + (2...2_001).map { #"{"source_column_name":"c\#($0)","action":"ignore"}"# }.joined(separator: ",")
        let review = try await flow.review(of: lineage).review
        let approved = try await flow.post(
            "\(flow.base)/edge/schema-reviews/\(review.id)/approve",
            #"{"action_version":\#(review.actionVersion),"column_actions":[\#(narrow)]}"#
        )
        #expect(approved.status == .ok, "\(String(decoding: approved.body, as: UTF8.self))")
    }
}

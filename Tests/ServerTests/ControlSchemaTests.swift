import EdgeSyncModels
import Foundation
import TestSupport
import Testing

@testable import Server

/// Every downlink control the server writes validates against the published JSON Schema
/// (`docs/spec/vectors/controls.schema.json`), and the schema refuses what a device could not act on.
@Suite("Downlink control schemas")
struct ControlSchemaTests {
    @Test func everyKindTheServerSendsMatchesItsSchema() async throws {
        let fixture = try await StoreFixture.make()
        let schema = try JSONSchemaCheck(vector: "controls.schema.json")
        // A rejection through the real ingest path: batch_rejected with the batch's identity.
        let rejected = try await fixture.ingest(try SpecVectors.body("tenant field"), .rowBatch)
        let store = fixture.store
        let device = fixture.device
        let made = try await store.backend.write { tx in
            try store.apply(
                [
                    .sendControl(
                        lineageID: nil,
                        deviceID: device.id,
                        .pauseLineage(sourceTable: "device_state", serverWatermark: 3, reason: "backpressure")
                    ),
                    .sendControl(
                        lineageID: nil,
                        deviceID: device.id,
                        .resumeLineage(sourceTable: "device_state", serverWatermark: 3)
                    ),
                    .sendControl(
                        lineageID: nil,
                        deviceID: device.id,
                        .urlGrant(
                            UploadGrant(
                                sourceTable: "device_state",
                                presignedURL: "http://127.0.0.1:8080/uploads/x?sig=y",
                                expiresAt: .now,
                                batchID: UUIDv7Generator.shared.next(),
                                segmentKind: .bootstrapSnapshot
                            )
                        )
                    ),
                    .sendControl(
                        lineageID: nil,
                        deviceID: device.id,
                        .stateWrite(
                            sourceTable: "device_state",
                            rows: [
                                StateWriteRow(
                                    pk: ["id": .integer(1)],
                                    values: ["mode": .string("eco"), "level": .double(40)],
                                    cloudVersion: 1
                                )
                            ]
                        )
                    ),
                ],
                tx,
                now: .now
            )
        }
        let controls = rejected.controls + made
        #expect(controls.count == 5)
        // The hello every connection starts with is not kept in the outbox: its body as the listener sends it.
        let bodies = controls.map(\.body) + [try DownlinkControl.serverHello().body()]
        var kinds: Set<String> = []
        for body in bodies {
            #expect(schema.problems(body).isEmpty, "\(String(decoding: body, as: UTF8.self))")
            kinds.insert(try JSONParser().parse(body).objectValue?["control_kind"]?.stringValue ?? "")
        }
        #expect(kinds == Set(DownlinkControl.Kind.allCases.map(\.rawValue)))
        let rejection = try JSONParser().parse(try #require(rejected.controls.first).body).objectValue
        #expect(rejection?["batch_id"]?.stringValue == "01936f2e-5c3a-7b21-9c4d-2f1e8a7b6c5d")
        #expect(rejection?["source_table"]?.stringValue == "device_state")
    }

    @Test func theSchemaRefusesIncompleteControls() throws {
        let schema = try JSONSchemaCheck(vector: "controls.schema.json")
        #expect(!schema.problems(Array(#"{"control_id":"c","control_kind":"pause_lineage"}"#.utf8)).isEmpty)
        #expect(!schema.problems(Array(#"{"control_id":"c","control_kind":"reboot"}"#.utf8)).isEmpty)
        #expect(
            schema.problems(Array(#"{"control_id":"c","control_kind":"batch_rejected","reason":"invalid_json"}"#.utf8))
                .isEmpty
        )
    }
}

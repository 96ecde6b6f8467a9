import EdgeSyncModels
import Foundation
import MQTT
import NIOCore
import TestSupport
import Testing

@testable import Server

/// The governance loop on a running server: a device over MQTT, decisions over HTTP, controls
/// back to the device (re-sent until acknowledged), the replay worker and live materialization.
@Suite("End to end: pause, approve, replay, live rows", .serialized)
struct GovernanceEndToEndTests {
    @Test func backpressureApprovalReplayAndLiveRows() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "edgesync-gov-\(UUID().uuidString)"
        )
        var configuration = ServerConfiguration(
            dataDirectory: directory.path,
            httpPort: 0,
            mqttPort: 0,
            store: try await testStoreLocation(directory: directory)
        )
        configuration.controlResendInterval = .seconds(1)
        configuration.maintenanceInterval = .milliseconds(200)
        let server = try await GovernanceServer.open(configuration)
        let endpoints = try await server.start()
        let api = LiveHTTP(
            baseURL: endpoints.http + "/core/api/v1/projects/\(server.tenancy.project.id)",
            token: server.adminToken
        )
        let device = try await api.post("/devices", body: #"{"name":"pump-7"}"#, as: ResourceEnvelope<Device>.self).data
        let password = try await api.post(
            "/devices/\(device.id)/credentials",
            body: #"{"kind":"password"}"#,
            as: ResourceEnvelope<IssuedCredentials>.self
        ).data.password!
        _ = try await api.request("PATCH", "/edge/policy", body: #"{"max_pending_rows_per_lineage":5}"#)
        let client = ServerEndToEndTests.client(endpoints, device: "pump-7", password: password)
        try await client.connect()
        _ = try await client.subscribe([.init(topicFilter: "dev/pump-7/sync/ingest/control", qos: .atLeastOnce)])
        var inbox = client.messages.makeAsyncIterator()
        var acknowledged: Set<String> = []
        func nextControl() async throws -> DownlinkControl {
            while true {
                let message = try #require(await inbox.next())
                await message.acknowledge()
                let control = try JSONDecoder().decode(DownlinkControl.self, from: Data(buffer: message.payload))
                // A resend that left before the server recorded the ack: a device ignores it.
                if !acknowledged.contains(control.controlID) { return control }
            }
        }
        func ack(_ control: DownlinkControl) async throws {
            acknowledged.insert(control.controlID)
            try await client.publish(
                topic: "dev/pump-7/sync/ingest/ack",
                payload: ByteBuffer(string: #"{"format_version":1,"control_id":"\#(control.controlID)"}"#)
            )
        }

        // The connection starts with the server's hello; the batch then goes compressed.
        let hello = try await nextControl()
        #expect(hello.payload == .serverHello(contentEncodings: ["zstd"]))
        try await ack(hello)
        let batch = CanonicalJSON.bytes(of: .object(rowBatch(seqs: 1...10, columns: deviceStateV1)))
        let compressed = ContentEncoding.payload(batch, accepted: [.zstd])
        #expect(compressed.count < batch.count && compressed != batch)
        try await client.publish(topic: "dev/pump-7/sync/rows/batch", payload: ByteBuffer(bytes: compressed))
        let pause = try await nextControl()
        #expect(
            pause.payload == .pauseLineage(sourceTable: "device_state", serverWatermark: 10, reason: "backpressure")
        )
        let resent = try await nextControl()
        #expect(resent.controlID == pause.controlID, "an unacknowledged control is sent again")
        try await ack(pause)
        let lineage = try await api.get("/edge/lineages", as: PageEnvelope<Lineage>.self).data[0]
        _ = try await api.waitFor("/edge/lineages/\(lineage.id)", as: ResourceEnvelope<LineageDetail>.self) {
            $0.data.pendingControls.isEmpty
        }

        let reviewID = try await api.get("/edge/schema-reviews", as: PageEnvelope<SchemaReview>.self).data[0].id
        _ = try await api.post(
            "/edge/schema-reviews/\(reviewID)/claim",
            body: #"{"action_version":1}"#,
            as: JSONValue.self
        )
        let approve =
            #"{"action_version":2,"column_actions":[{"source_column_name":"id","action":"mirror"},{"source_column_name":"mode","action":"mirror"}]}"#
        _ = try await api.post("/edge/schema-reviews/\(reviewID)/approve", body: approve, as: JSONValue.self)
        let resume = try await nextControl()
        #expect(resume.payload == .resumeLineage(sourceTable: "device_state", serverWatermark: 10))
        try await ack(resume)
        let mirrored = try await api.waitFor(
            "/edge/lineages/\(lineage.id)/mirror-rows?limit=100",
            as: PageEnvelope<JSONObject>.self
        ) { $0.meta.total == 10 }
        #expect(mirrored.data.map { $0["id"] } == (1...10).map { .integer($0) })
        let replayed = try await api.get("/edge/lineages/\(lineage.id)", as: ResourceEnvelope<LineageDetail>.self).data
        #expect(replayed.replayIntent?.state == .completed && replayed.lineage.stagedRowCount == 0)

        try await client.publish(
            topic: "dev/pump-7/sync/rows/batch",
            payload: ByteBuffer(
                string: CanonicalJSON.string(of: .object(rowBatch(seqs: 11...12, columns: deviceStateV1)))
            )
        )
        _ = try await api.waitFor("/edge/lineages/\(lineage.id)/mirror-rows", as: PageEnvelope<JSONObject>.self) {
            $0.meta.total == 12
        }
        let ledger = try await api.get("/edge/batches", as: PageEnvelope<BatchLedgerEntry>.self).data.map(\.outcome)
        #expect(ledger == [.staged, .materialized])

        // Write-back reaches the device once the table is cloud-authoritative (a re-approval).
        try await client.publish(
            topic: "dev/pump-7/sync/rows/batch",
            payload: ByteBuffer(
                string: CanonicalJSON.string(of: .object(rowBatch(seqs: 13...13, columns: deviceStateV2)))
            )
        )
        let additive = try await api.waitFor("/edge/schema-reviews?status=queued", as: PageEnvelope<SchemaReview>.self)
        { $0.meta.total == 1 }.data[0]
        _ = try await api.post(
            "/edge/schema-reviews/\(additive.id)/claim",
            body: #"{"action_version":1}"#,
            as: JSONValue.self
        )
        let reapprove =
            #"{"action_version":2,"sync_authority":"cloud_authoritative","column_actions":[{"source_column_name":"id","action":"mirror"},{"source_column_name":"mode","action":"mirror"},{"source_column_name":"zone","action":"mirror"}]}"#
        _ = try await api.post("/edge/schema-reviews/\(additive.id)/approve", body: reapprove, as: JSONValue.self)
        let written = try await api.post(
            "/devices/\(device.id)/edge/state-tables/\(lineage.id)/rows",
            body: #"{"rows":[{"pk":{"id":2},"values":{"mode":"eco"}}]}"#,
            as: ResourceEnvelope<StateWriteResponse>.self
        ).data
        var stateWrite = try await nextControl()
        while stateWrite.kind != .stateWrite { stateWrite = try await nextControl() }
        #expect(stateWrite.controlID == written.controlID)
        #expect(
            stateWrite.payload
                == .stateWrite(
                    sourceTable: "device_state",
                    rows: [StateWriteRow(pk: ["id": .integer(2)], values: ["mode": .string("eco")], cloudVersion: 1)]
                )
        )
        let sent = try await api.waitFor("/events?kind=edge_control.sent", as: PageEnvelope<Event>.self) {
            $0.data.contains { $0.outcome == "state_write" }
        }
        #expect(sent.data.map(\.outcome).contains("pause_lineage"))
        await client.shutdown()
        await server.stop()
    }
}

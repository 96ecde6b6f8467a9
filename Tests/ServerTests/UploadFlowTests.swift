import EdgeSyncModels
import Foundation
import HTTPTypes
import Testing

@testable import Server

/// The upload flow's server side: signed grants, the PUT route and its refusals, finalize.
@Suite("Upload flow")
struct UploadFlowTests {
    @Test func grantPutFinalizeAndRefusals() async throws {
        let harness = try await APIHarness.make()
        let fixture = harness.fixture
        let desk = try UploadDesk(dataDirectory: fixture.directory)
        desk.setBaseURL("http://127.0.0.1")
        let pipeline = IngestPipeline(store: fixture.store, uploads: desk)
        func request(_ body: String) async throws -> IngestResult {
            try await pipeline.ingest(
                device: fixture.device,
                topic: .ingestRequest,
                payload: Array(body.utf8),
                receivedAt: .now
            )
        }
        let granted = try await request(
            #"{"format_version":1,"request_kind":"url_request","source_table":"orders","segment_kind":"payload_spill"}"#
        )
        let control = try JSONDecoder().decode(
            DownlinkControl.self,
            from: Data(try #require(granted.controls.first).body)
        )
        guard case .urlGrant(let grant) = control.payload else {
            Issue.record("expected a url_grant")
            return
        }
        #expect(grant.presignedURL.hasPrefix("http://127.0.0.1/core/api/v1/uploads/\(grant.batchID)?exp="))
        let path = String(grant.presignedURL.dropFirst("http://127.0.0.1".count))
        let rows = (1...5).map {
            #"{"commit_seq":\#($0),"op":"insert","pk":{"id":\#($0)},"row":{"id":\#($0),"mode":"m"}}"#
        }.joined(separator: "\n")
        let object = try Zstd.compress(Array(rows.utf8))
        #expect(
            try await harness.send(
                .put,
                path.replacingOccurrences(of: "sig=", with: "sig=0"),
                bytes: object,
                token: "none",
                key: nil
            ).status == .forbidden
        )
        let early =
            #"{"format_version":1,"request_kind":"finalize","source_table":"orders","segment_kind":"payload_spill","batch_id":"\#(grant.batchID)"}"#
        #expect(try await request(early).rejection == .invalidPayload, "nothing was PUT yet")
        let put = try await harness.send(.put, path, bytes: object, token: "none", key: nil)
        #expect(put.status == .created && put.json?["data"]?["bytes"] != nil)
        #expect(
            try await harness.send(.put, path, bytes: object, token: "none", key: nil).status == .conflict,
            "one object per grant"
        )
        #expect(try await request(early).rejection == .invalidPayload, "no journal_epoch / schema_hash")
        let epoch = UUIDv7Generator.shared.next().description
        let finalize =
            #"{"format_version":1,"request_kind":"finalize","source_table":"orders","segment_kind":"payload_spill","batch_id":"\#(grant.batchID)","journal_epoch":"\#(epoch)","schema_hash":"\#(String(repeating: "c", count: 64))"}"#
        let done = try await request(finalize)
        #expect(done.stagedRows == 5 && done.outcome == .staged)
        #expect(try await request(finalize).stagedRows == 0, "a repeated finalize changes nothing")
        #expect(try await fixture.store.upload(id: grant.batchID.description)?.state == .finalized)
    }
}

import EdgeSyncModels
import Foundation
import HTTPTypes
import Testing

@testable import Server

/// The upload flow's server side: signed grants, the PUT route and its refusals, finalize.
@Suite("Upload flow")
struct UploadFlowTests {
    /// A store with an upload desk, and the device's ingest requests.
    struct Uploads {
        let harness: APIHarness
        let desk: UploadDesk
        let pipeline: IngestPipeline
        var fixture: StoreFixture { harness.fixture }

        static let urlRequest =
            #"{"format_version":1,"request_kind":"url_request","source_table":"orders","segment_kind":"payload_spill"}"#

        static func make(limits: UploadLimits = UploadLimits()) async throws -> Uploads {
            let harness = try await APIHarness.make(uploadLimits: limits)
            let desk = try await UploadDesk.open(
                dataDirectory: harness.fixture.directory,
                store: harness.fixture.store,
                shared: harness.fixture.location.isShared,
                limits: limits
            )
            desk.setBaseURL("http://127.0.0.1")
            return Uploads(
                harness: harness,
                desk: desk,
                pipeline: IngestPipeline(store: harness.fixture.store, uploads: desk)
            )
        }

        func request(_ body: String) async throws -> IngestResult {
            try await pipeline.ingest(
                device: fixture.device,
                topic: .ingestRequest,
                payload: Array(body.utf8),
                receivedAt: .now
            )
        }

        /// A url_request answered with a grant.
        func grant() async throws -> UploadGrant {
            let granted = try await request(Self.urlRequest)
            let control = try JSONDecoder().decode(
                DownlinkControl.self,
                from: Data(try #require(granted.controls.first).body)
            )
            guard case .urlGrant(let grant) = control.payload else { throw UploadFlowError.noGrant }
            return grant
        }

        /// The message of the batch ledger's latest rejection.
        func lastRejectionMessage() async throws -> String? {
            let path = "\(harness.base)/edge/batches?outcome=rejected"
            return try await harness.get(path, as: PageEnvelope<BatchLedgerEntry>.self).data.last?.rejectionMessage
        }

        func put(_ grant: UploadGrant, _ object: [UInt8]) async throws -> APIHarness.Reply {
            let path = String(grant.presignedURL.dropFirst("http://127.0.0.1".count))
            return try await harness.send(.put, path, bytes: object, token: "none", key: nil)
        }

        static func finalize(_ grant: UploadGrant) -> String {
            #"{"format_version":1,"request_kind":"finalize","source_table":"orders","segment_kind":"payload_spill","batch_id":"\#(grant.batchID)","journal_epoch":"\#(UUIDv7Generator.shared.next())","schema_hash":"\#(String(repeating: "c", count: 64))"}"#
        }
    }

    enum UploadFlowError: Error { case noGrant }

    @Test func grantPutFinalizeAndRefusals() async throws {
        let uploads = try await Uploads.make()
        let (harness, fixture) = (uploads.harness, uploads.fixture)
        func request(_ body: String) async throws -> IngestResult { try await uploads.request(body) }
        let grant = try await uploads.grant()
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

    /// A grant takes one object, once, also under concurrent PUTs; a device holds a bounded
    /// number of open grants; expired ones are swept with their objects.
    @Test func grantsAreSingleUseBoundedAndSwept() async throws {
        let uploads = try await Uploads.make()
        var grants: [UploadGrant] = []
        let limits = uploads.desk.limits
        for _ in 0..<limits.maximumOpenGrantsPerDevice { grants.append(try await uploads.grant()) }
        let refused = try await uploads.request(Uploads.urlRequest)
        #expect(refused.rejection == .invalidPayload, "one grant more than a device may hold")

        let object = try Zstd.compress(Array(#"{"commit_seq":1,"op":"insert","pk":{"id":1},"row":{"id":1}}"#.utf8))
        let path = String(grants[0].presignedURL.dropFirst("http://127.0.0.1".count))
        let statuses = try await uploads.harness.sendConcurrently(6, .put, path, bytes: object)
        #expect(statuses.filter { $0 == .created }.count == 1, "\(statuses)")
        #expect(statuses.filter { $0 == .conflict }.count == 5, "\(statuses)")
        #expect(try await uploads.desk.objects.exists(grants[0].batchID.description))

        let keep = limits.keepReceivedFor.components.seconds
        let later = Timestamp(seconds: Timestamp.now.seconds + limits.grantLifetime.components.seconds + keep + 1)
        let store = uploads.fixture.store
        let expired = try await store.expireUploads(now: later, keepReceivedFor: keep)
        #expect(Set(expired) == Set(grants.map(\.batchID.description)))
        for id in expired { await uploads.desk.objects.remove(id) }
        #expect(try await !uploads.desk.objects.exists(grants[0].batchID.description))
        #expect(try await store.upload(id: grants[0].batchID.description) == nil)
    }

    /// The server's own limits (`serve --upload-…`) rather than the defaults: fewer grants, a
    /// shorter grant, a smaller object sent and decompressed.
    @Test func limitsAreTheServersOwn() async throws {
        var limits = UploadLimits()
        limits.maximumOpenGrantsPerDevice = 2
        limits.grantLifetime = .seconds(60)
        limits.maximumObjectBytes = 4_096
        let uploads = try await Uploads.make(limits: limits)
        let (sent, decompressed) = (try await uploads.grant(), try await uploads.grant())
        let lifetime = sent.expiresAt.seconds - Timestamp.now.seconds
        #expect((50...60).contains(lifetime), "a grant lives the server's 60 s: \(lifetime)")
        let refused = try await uploads.request(Uploads.urlRequest)
        #expect(refused.rejection == .invalidPayload, "a third grant")

        let tooLarge = try await uploads.put(sent, [UInt8](repeating: 0x2A, count: 5_000))
        #expect(tooLarge.status == .contentTooLarge)
        #expect(tooLarge.json?["error"]?["message"]?.stringValue?.contains("at most 4096 bytes") == true)

        let note = String(repeating: "x", count: 6_000)
        let line = #"{"commit_seq":1,"op":"insert","pk":{"id":1},"row":{"id":1,"note":"\#(note)"}}"#
        #expect(try await uploads.put(decompressed, try Zstd.compress(Array(line.utf8))).status == .created)
        let finalized = try await uploads.request(Uploads.finalize(decompressed))
        #expect(finalized.rejection == .invalidPayload && finalized.stagedRows == 0)
        let message = try await uploads.lastRejectionMessage()
        #expect(message?.contains("more than 4096 bytes once decompressed") == true, "\(String(describing: message))")
    }

    /// A few KiB that expand to 64 MiB are refused as soon as the expansion shows, never held in
    /// memory whole; the refusal names the cause.
    @Test func aZstdBombIsRefusedWhileItExpands() async throws {
        let uploads = try await Uploads.make()
        let grant = try await uploads.grant()
        let bomb = try Zstd.compress(Array(repeating: UInt8(ascii: "\n"), count: 64 << 20))
        #expect(bomb.count < 16_384)
        #expect(try await uploads.put(grant, bomb).status == .created)
        let refused = try await uploads.request(Uploads.finalize(grant))
        #expect(refused.rejection == .invalidPayload && refused.stagedRows == 0)
        let message = try await uploads.lastRejectionMessage()
        #expect(message?.contains("expands more than") == true, "\(String(describing: message))")
    }
}

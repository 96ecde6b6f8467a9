import EdgeSyncModels
import Foundation
import TestSupport
import Testing

@testable import Server

/// A 100,000-row staged backlog is replayed exactly once although the server process is killed
/// (SIGKILL) in the middle of the replay.
@Suite("Replay crash recovery", .serialized)
struct ReplayCrashTests {
    static let rows = 100_000

    /// Stages the backlog in the data directory and approves it, so the server replays on start.
    static func stageBacklog(
        in directory: URL,
        location: StoreLocation
    ) async throws -> (lineageID: String, projectID: String) {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try await location.open()
        defer { Task { await store.close() } }
        let tenancy = try await store.bootstrap(now: .now)
        _ = try await store.registerDevice(
            name: "backlog-1",
            projectID: tenancy.project.id,
            fleetID: tenancy.fleetID,
            now: .now
        )
        let device = try #require(try await store.device(named: "backlog-1", projectID: tenancy.project.id))
        let pipeline = IngestPipeline(store: store)
        let perBatch = 1_000
        for start in stride(from: 1, through: rows, by: perBatch) {
            let batch = rowBatch(seqs: Int64(start)...Int64(start + perBatch - 1), columns: deviceStateV1)
            _ = try await pipeline.ingest(
                device: device,
                topic: .rowBatch,
                payload: Array(CanonicalJSON.string(of: .object(batch)).utf8),
                receivedAt: .now
            )
        }
        let review = try await store.reviews(projectID: tenancy.project.id, filter: ReviewFilter(), page: PageRequest())
            .items[0]
        let actions = deviceStateV1.columns.map { ColumnAction(sourceColumnName: $0.name, action: .mirror) }
        _ = try await store.transitionReview(
            id: review.id,
            projectID: tenancy.project.id,
            registry: false,
            principal: Principal(tokenID: "t", name: "test", scopes: [.admin]),
            .approve(ApproveReviewRequest(actionVersion: 1, columnActions: actions, force: true)),
            now: .now
        )
        return (review.lineageID!, tenancy.project.id)
    }

    @Test func aKilledReplayResumesAndLandsEveryRowOnce() async throws {
        try await Turns.heavyProcesses.run { try await self.aKilledReplayResumesAndLandsEveryRowOnceSteps() }
    }

    func aKilledReplayResumesAndLandsEveryRowOnceSteps() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "edgesync-replay-\(UUID().uuidString)"
        )
        let location = try await testStoreLocation(directory: directory)
        let (lineageID, projectID) = try await Self.stageBacklog(in: directory, location: location)
        let (http, mqtt) = (try await freeTestPort(), try await freeTestPort())
        var server = try await CrashRecoveryTests.serve(directory: directory, store: location, http: http, mqtt: mqtt)
        let token = try String(contentsOf: directory.appendingPathComponent("admin.token"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let api = LiveHTTP(baseURL: "http://127.0.0.1:\(http)/core/api/v1/projects/\(projectID)", token: token)
        let midway = try await api.waitFor(
            "/edge/lineages/\(lineageID)",
            as: ResourceEnvelope<LineageDetail>.self,
            timeout: .seconds(60)
        ) {
            ($0.data.replayIntent?.replayedRows ?? 0) > 0
        }
        await server.kill9()
        #expect((midway.data.replayIntent?.replayedRows ?? 0) < Int64(Self.rows), "killed during the replay")

        server = try await CrashRecoveryTests.serve(directory: directory, store: location, http: http, mqtt: mqtt)
        let done = try await api.waitFor(
            "/edge/lineages/\(lineageID)",
            as: ResourceEnvelope<LineageDetail>.self,
            timeout: .seconds(120)
        ) {
            $0.data.replayIntent?.state == .completed
        }.data
        #expect(done.lineage.stagedRowCount == 0 && done.lineage.mirroredRowCount == Int64(Self.rows))
        #expect(done.replayIntent?.replayedRows == Int64(Self.rows), "every staged row counted once")
        await server.stop()
        let table = done.lineage.mirrorTable!
        let store = try await location.open()
        let quoted = SQLIdentifier.quote(table)
        let counts = try await store.backend.read { tx in
            [
                try tx.value("SELECT COUNT(*) FROM staged_row")?.integer,
                try tx.value("SELECT COUNT(*) FROM \(quoted)")?.integer,
                try tx.value("SELECT COUNT(DISTINCT id) FROM \(quoted)")?.integer,
            ]
        }
        await store.close()
        #expect(counts == [0, Int64(Self.rows), Int64(Self.rows)])
        try? FileManager.default.removeItem(at: directory)
    }
}

import EdgeSyncModels
import Foundation
import MQTT
import NIOCore
import Server

/// Materialization: replay of a 100,000-row staged backlog into a mirror, and live rows/s of an
/// approved lineage (512 KiB batches over loopback MQTT until they are in the mirror).
enum GovernanceBench {
    static func run(_ report: BenchReport, store: BenchStore) async throws {
        try await replay(report, store: store)
        try await live(report, store: store)
    }

    static let principal = Principal(tokenID: "bench", name: "bench", scopes: [.admin])

    /// Approves the first queued review with every column mirrored.
    static func approveAll(_ store: any GovernanceStore, projectID: String) async throws {
        let review = try await store.reviews(projectID: projectID, filter: ReviewFilter(), page: PageRequest()).items[0]
        let detail = try await store.reviewDetail(id: review.id, projectID: projectID)!
        let actions = detail.columns!.map { ColumnAction(sourceColumnName: $0.name, action: .mirror) }
        _ = try await store.transitionReview(
            id: review.id,
            projectID: projectID,
            registry: false,
            principal: principal,
            .approve(ApproveReviewRequest(actionVersion: review.actionVersion, columnActions: actions, force: true)),
            now: .now
        )
    }

    static func replay(_ report: BenchReport, store bench: BenchStore) async throws {
        var replayed = 0
        let rate = try await EdgeBench.median(of: EdgeBench.runs) {
            let (rows, seconds) = try await replayOnce(store: bench)
            replayed = rows
            return Double(rows) / seconds
        }
        report.add(
            Figure(
                section: bench.section("Replay"),
                name: "a \(replayed.formatted())-row staged backlog drained into a mirror",
                value: rate,
                unit: "rows/s",
                reference: bench.reference,
                referenceValue: bench.ceiling,
                note: "median of \(EdgeBench.runs) runs"
            )
        )
    }

    /// Stages a backlog of 100,000 rows or a little more in a new store, approves its review and
    /// drains it in chunks as the replay worker does; the rows replayed and the seconds it took.
    private static func replayOnce(store bench: BenchStore) async throws -> (rows: Int, seconds: Double) {
        let directory = ServerBench.temporaryDirectory("replay")
        defer { try? FileManager.default.removeItem(at: directory) }
        let location = try await bench.newLocation() ?? .default(dataDirectory: directory.path)
        let store = try await location.open(logger: EdgeBench.quiet)
        let tenancy = try await store.bootstrap(now: .now)
        _ = try await store.registerDevice(
            name: "bench",
            projectID: tenancy.project.id,
            fleetID: tenancy.fleetID,
            now: .now
        )
        let device = try await store.device(named: "bench", projectID: tenancy.project.id)!
        let pipeline = IngestPipeline(store: store)
        var staged = 0
        var next: Int64 = 1
        while staged < 100_000 {
            let (bytes, count) = try EdgeBench.largestRowBatch(firstCommitSeq: next)
            _ = try await pipeline.ingest(device: device, topic: .rowBatch, payload: bytes, receivedAt: .now)
            staged += count
            next += Int64(count)
        }
        try await approveAll(store, projectID: tenancy.project.id)
        await EdgeBench.profilePoint("replay")
        let start = ContinuousClock.now
        var replayed = 0
        while true {
            let progress = try await store.replayStep(limit: 2_000, now: .now)
            replayed += progress.replayed
            if progress.replayed == 0 { break }
        }
        let seconds = EdgeBench.seconds(ContinuousClock.now - start)
        await store.close()
        return (replayed, seconds)
    }

    static func live(_ report: BenchReport, store: BenchStore) async throws {
        let (first, firstCount) = try EdgeBench.largestRowBatch(firstCommitSeq: 1)
        let (payloads, rows) = try ServerBench.largestBatches(40, from: 1 + Int64(firstCount))
        let rate = try await EdgeBench.median(of: EdgeBench.runs) {
            Double(rows) / (try await liveOnce(store: store, first: first, payloads))
        }
        report.add(
            Figure(
                section: store.section("Ingest end to end"),
                name: "approved lineage: 512 KiB row batches until in the mirror table",
                value: rate,
                unit: "rows/s",
                reference: store.reference,
                referenceValue: store.ceiling,
                note: "\(rows.formatted()) rows in 40 batches; median of \(EdgeBench.runs) runs"
            )
        )
    }

    /// On a new server: a first batch, its review approved with every column mirrored and
    /// replayed; then the seconds until `payloads` are in the mirror.
    private static func liveOnce(store: BenchStore, first: [UInt8], _ payloads: [ByteBuffer]) async throws -> Double {
        let directory = ServerBench.temporaryDirectory("live")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (server, client) = try await ServerBench.devOpenServer(in: directory, store: try await store.newLocation())
        let topic = "dev/bench-device/sync/rows/batch"
        try await client.publish(topic: topic, payload: ByteBuffer(bytes: first))
        try await approveAll(server.store, projectID: server.tenancy.project.id)
        while try await server.store.replayStep(limit: 5_000, now: .now).replayed > 0 {}
        await EdgeBench.profilePoint("approved")
        let seconds = try await ServerBench.publishWindowed(client, topic: topic, payloads)
        await client.shutdown()
        await server.stop()
        return seconds
    }
}

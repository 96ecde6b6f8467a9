import EdgeSyncModels
import Foundation
import GRDB
import MQTT
import NIOCore
import Server

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Ingest throughput (512 KiB row batches over loopback MQTT until durably staged) and the HTTP
/// API's latency with 10,000 lineages and 1,000 reviews in the store.
enum ServerBench {
    static func temporaryDirectory(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "edge-bench-\(name)-\(UUID().uuidString)"
        )
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// `replicas` servers on one store, each with its own device publishing 40 batches at once;
    /// rows/s over all of them, the median of `EdgeBench.runs` runs on new stores.
    static func ingest(_ report: BenchReport, store: BenchStore, replicas: Int = 1) async throws {
        let batchCount = 40
        let (payloads, rows) = try largestBatches(batchCount, from: 1)
        let rate = try await EdgeBench.median(of: EdgeBench.runs) {
            Double(rows * replicas) / (try await ingestOnce(store: store, replicas: replicas, payloads))
        }
        let total = batchCount * replicas
        report.add(
            Figure(
                section: store.section("Ingest end to end"),
                name: replicas == 1
                    ? "512 KiB row batches over loopback MQTT until durably staged"
                    : "\(replicas) replicas on one store, a device on each, 512 KiB row batches until staged",
                value: rate,
                unit: "rows/s",
                reference: store.reference,
                referenceValue: store.ceiling,
                note: String(
                    format: "%d batches, %.1f MiB/s",
                    total,
                    rate / Double(rows * replicas) * Double(total) / 2
                )
                    + (replicas == 1 ? "" : "; the replicas share this process and its 2 cores")
                    + "; median of \(EdgeBench.runs) runs"
            )
        )
    }

    /// Seconds until `replicas` new servers on a new store have staged `payloads` from a device each.
    private static func ingestOnce(store: BenchStore, replicas: Int, _ payloads: [ByteBuffer]) async throws -> Double {
        let directory = temporaryDirectory("ingest")
        defer { try? FileManager.default.removeItem(at: directory) }
        let location = try await store.newLocation()
        var servers: [(GovernanceServer, MQTTClient)] = []
        for index in 0..<replicas {
            servers.append(
                try await devOpenServer(
                    in: directory.appendingPathComponent("replica-\(index)"),
                    store: location,
                    device: "bench-device-\(index)"
                )
            )
        }
        await EdgeBench.profilePoint("ingest")
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, (_, client)) in servers.enumerated() {
                group.addTask {
                    _ = try await publishWindowed(client, topic: "dev/bench-device-\(index)/sync/rows/batch", payloads)
                }
            }
            try await group.waitForAll()
        }
        let seconds = EdgeBench.seconds(ContinuousClock.now - start)
        for (server, client) in servers {
            await client.shutdown()
            await server.stop()
        }
        return seconds
    }

    /// An embedded dev-open server in `directory` (on `store`, or the directory's SQLite file),
    /// and `device` connected to its MQTT listener.
    static func devOpenServer(
        in directory: URL,
        store: StoreLocation? = nil,
        device: String = "bench-device"
    ) async throws -> (GovernanceServer, MQTTClient) {
        let (server, url) = try await quietServer(in: directory, store: store)
        let port = Int(url.split(separator: ":").last!)!
        let client = MQTTClient(configuration: .init(host: "127.0.0.1", port: port, clientID: device))
        try await client.connect()
        return (server, client)
    }

    /// A quiet dev-open server on free ports, and its MQTT URL.
    static func quietServer(in directory: URL, store: StoreLocation? = nil) async throws -> (GovernanceServer, String) {
        var configuration = ServerConfiguration(
            dataDirectory: directory.path,
            httpPort: 0,
            mqttPort: 0,
            devOpen: true,
            store: store
        )
        // Replicas in one process would share the default id (host name and pid).
        configuration.replicaID = directory.lastPathComponent
        let server = try await GovernanceServer.open(configuration, logger: EdgeBench.quiet)
        return (server, try await server.start().mqtt ?? "")
    }

    /// `count` batches of the largest size, commit_seqs running on from `first`; returns the
    /// payloads and their rows.
    static func largestBatches(_ count: Int, from first: Int64) throws -> (payloads: [ByteBuffer], rows: Int) {
        var payloads: [ByteBuffer] = []
        var rows = 0
        var next = first
        for _ in 0..<count {
            let (bytes, batchRows) = try EdgeBench.largestRowBatch(firstCommitSeq: next)
            payloads.append(ByteBuffer(bytes: bytes))
            rows += batchRows
            next += Int64(batchRows)
        }
        return (payloads, rows)
    }

    /// QoS 1 publishes with four in flight, as an agent pipelines; returns the seconds until
    /// the last PUBACK.
    static func publishWindowed(_ client: MQTTClient, topic: String, _ payloads: [ByteBuffer]) async throws -> Double {
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, payload) in payloads.enumerated() {
                if index >= 4 { try await group.next() }
                group.addTask { try await client.publish(topic: topic, payload: payload) }
            }
            try await group.waitForAll()
        }
        return EdgeBench.seconds(ContinuousClock.now - start)
    }

    /// p50/p99 of `GET /edge/lineages?limit=50` and of a review's detail, 4 concurrent clients,
    /// against `GET /healthz` (the same HTTP stack without the store).
    static func apiLatency(_ report: BenchReport) async throws {
        let directory = temporaryDirectory("api")
        defer { try? FileManager.default.removeItem(at: directory) }
        let seeded = try await GovernanceServer.open(
            ServerConfiguration(dataDirectory: directory.path, httpPort: 0, mqttPort: 0),
            logger: EdgeBench.quiet
        )
        let project = seeded.tenancy.project.id
        let fleet = seeded.tenancy.fleetID
        // 1,000 devices whose first batch queued a review (the real ingest path), then 9 more
        // lineages each, written straight into the store's table: 10,000 lineages, 1,000 reviews.
        let pipeline = IngestPipeline(store: seeded.store)
        for device in 0..<1_000 {
            let registered = try await seeded.store.registerDevice(
                name: "device-\(device)",
                projectID: project,
                fleetID: fleet,
                now: .now
            )
            let identity = try await seeded.store.device(named: registered.name, projectID: project)!
            let (bytes, _) = try EdgeBench.rowBatch(rows: 3, firstCommitSeq: 1)
            _ = try await pipeline.ingest(device: identity, topic: .rowBatch, payload: bytes, receivedAt: .now)
        }
        let queue = try DatabaseQueue(path: directory.appendingPathComponent("edgesync.sqlite").path)
        try await queue.write { db in
            let devices = try Row.fetchAll(db, sql: "SELECT id, name FROM device")
            for (index, device) in devices.enumerated() {
                for table in 1..<10 {
                    try db.execute(
                        sql: """
                            INSERT INTO lineage (id, project_id, device_id, fleet_id, device_name, source_table, strategy, status, pause_reason,
                            sync_authority, staged_row_count, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'rows', 'paused', 'schema_review',
                            'device_authoritative', ?, ?, ?)
                            """,
                        arguments: [
                            UUIDv7Generator.shared.next().description, project, device["id"] as String, fleet,
                            device["name"] as String,
                            "table_\(table)", index * table, index * 10 + table, index * 10 + table,
                        ]
                    )
                }
            }
        }
        try queue.close()
        let reviews = try await seeded.store.reviews(
            projectID: project,
            filter: ReviewFilter(),
            page: PageRequest(page: 1, limit: 500)
        ).items.map(\.id)
        let endpoints = try await seeded.start()
        let base = "\(endpoints.http)/core/api/v1/projects/\(project)"
        let health = try await latencies(token: seeded.adminToken) { _ in "\(endpoints.http)/healthz" }
        await EdgeBench.profilePoint("api")
        let list = try await latencies(token: seeded.adminToken) { _ in "\(base)/edge/lineages?limit=50" }
        let detail = try await latencies(token: seeded.adminToken) { index in
            "\(base)/edge/schema-reviews/\(reviews[index % reviews.count])"
        }
        for (name, samples) in [("GET /edge/lineages?limit=50", list), ("GET /edge/schema-reviews/{id}", detail)] {
            for p in [50, 99] {
                report.add(
                    Figure(
                        section: "API (10,000 lineages, 1,000 reviews, 4 clients)",
                        name: "\(name) p\(p)",
                        value: EdgeBench.percentile(samples, p),
                        unit: "ms",
                        reference: "GET /healthz p\(p)",
                        referenceValue: EdgeBench.percentile(health, p),
                        higherIsBetter: false
                    )
                )
            }
        }
        await seeded.stop()
    }

    /// Sorted milliseconds of 4 clients × 250 requests to `url(i)`, after a warm-up.
    static func latencies(token: String, _ url: @escaping @Sendable (Int) -> String) async throws -> [Double] {
        func request(_ index: Int) -> URLRequest {
            var request = URLRequest(url: URL(string: url(index))!)
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
            return request
        }
        for index in 0..<20 { _ = try await URLSession.shared.data(for: request(index)) }
        return try await withThrowingTaskGroup(of: [Double].self) { group in
            for client in 0..<4 {
                group.addTask {
                    var local: [Double] = []
                    for index in 0..<250 {
                        let start = ContinuousClock.now
                        let (_, response) = try await URLSession.shared.data(for: request(client * 250 + index))
                        guard (response as? HTTPURLResponse)?.statusCode == 200 else { throw CancellationError() }
                        local.append(EdgeBench.milliseconds(ContinuousClock.now - start))
                    }
                    return local
                }
            }
            var all: [Double] = []
            for try await part in group { all += part }
            return all.sorted()
        }
    }
}

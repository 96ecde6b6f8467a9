import EdgeSyncModels
import Foundation
import GRDB
import MQTT
import NIOCore
import Server
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Ingest throughput (512 KiB row batches over loopback MQTT until durably staged) and list
/// latency of the HTTP API with 10,000 lineages.
enum ServerBench {
    static func run() async throws {
        try await ingest()
        try await lineageListLatency()
    }

    static func temporaryDirectory(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("edge-bench-\(name)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func ingest() async throws {
        let directory = temporaryDirectory("ingest")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await GovernanceServer.open(ServerConfiguration(dataDirectory: directory.path, httpPort: 0, mqttPort: 0, devOpen: true))
        let endpoints = try await server.start()
        let port = Int(endpoints.mqtt!.split(separator: ":").last!)!
        let client = MQTTClient(configuration: .init(host: "127.0.0.1", port: port, clientID: "bench-device"))
        try await client.connect()
        let batchCount = 40
        let (payloads, rows) = try largestBatches(batchCount, from: 1)
        let seconds = try await publishWindowed(client, topic: "dev/bench-device/sync/rows/batch", payloads)
        print(String(format: "ingest: %d batches of 512 KiB (%d rows) staged in %.2f s: %.0f rows/s, %.1f MiB/s",
                     batchCount, rows, seconds, Double(rows) / seconds, Double(batchCount) / 2 / seconds))
        await client.shutdown()
        await server.stop()
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

    static func lineageListLatency() async throws {
        let directory = temporaryDirectory("api")
        defer { try? FileManager.default.removeItem(at: directory) }
        let configuration = ServerConfiguration(dataDirectory: directory.path, httpPort: 0, mqttPort: 0)
        let seeded = try await GovernanceServer.open(configuration)
        let project = seeded.tenancy.project.id
        let fleet = seeded.tenancy.fleetID
        // 10,000 lineages over 1,000 devices, written straight into the store's tables.
        let queue = try DatabaseQueue(path: directory.appendingPathComponent("edgesync.sqlite").path)
        try await queue.write { db in
            for device in 0..<1_000 {
                let deviceID = UUIDv7Generator.shared.next().description
                try db.execute(sql: "INSERT INTO device (id, project_id, fleet_id, name, created_at) VALUES (?, ?, ?, ?, 0)",
                               arguments: [deviceID, project, fleet, "device-\(device)"])
                for table in 0..<10 {
                    try db.execute(sql: """
                        INSERT INTO lineage (id, project_id, device_id, fleet_id, device_name, source_table, strategy, status, pause_reason,
                        sync_authority, staged_row_count, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'rows', 'paused', 'schema_review',
                        'device_authoritative', ?, ?, ?)
                        """, arguments: [UUIDv7Generator.shared.next().description, project, deviceID, fleet, "device-\(device)",
                                         "table_\(table)", device * table, device * 10 + table, device * 10 + table])
                }
            }
        }
        try queue.close()
        let endpoints = try await seeded.start()
        let url = URL(string: "\(endpoints.http)/core/api/v1/projects/\(project)/edge/lineages?limit=50")!
        var authorized = URLRequest(url: url)
        authorized.setValue("Bearer \(seeded.adminToken)", forHTTPHeaderField: "Authorization")
        let request = authorized
        for _ in 0..<20 { _ = try await URLSession.shared.data(for: request) }
        let clients = 4
        let perClient = 250
        let samples = try await withThrowingTaskGroup(of: [Double].self) { group in
            for _ in 0..<clients {
                group.addTask {
                    var local: [Double] = []
                    for _ in 0..<perClient {
                        let start = ContinuousClock.now
                        let (_, response) = try await URLSession.shared.data(for: request)
                        guard (response as? HTTPURLResponse)?.statusCode == 200 else { throw CancellationError() }
                        local.append(EdgeBench.seconds(ContinuousClock.now - start) * 1000)
                    }
                    return local
                }
            }
            var all: [Double] = []
            for try await part in group { all += part }
            return all.sorted()
        }
        print(String(format: "api: GET /edge/lineages?limit=50 of 10,000, %d clients: p50 %.2f ms, p99 %.2f ms",
                     clients, samples[samples.count / 2], samples[samples.count * 99 / 100]))
        await seeded.stop()
    }
}

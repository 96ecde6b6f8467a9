import EdgeSyncModels
import Foundation
import MQTT
import NIOCore
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Scale of connections: the resident memory of `platform-tui serve` (its own process) with 1,000
/// devices connected, each publishing one small telemetry batch a second, against the same server
/// idle; whether any connection dropped or publish failed; and the PUBACK p99 of the same load on
/// a machine with one core kept busy (`yes`), against that of the idle machine.
enum ScaleBench {
    static let devices = 1_000
    static let seconds = 30

    static var binary: URL { EdgeBench.sibling("platform-tui") }

    static func run(_ report: BenchReport) async throws {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            print("scale: \(binary.path) not built; skipped")
            return
        }
        let idle = try await session()
        let busy = try await BusyCore.whileRunning { try await session() }
        report.add(
            Figure(
                section: "Scale of connections",
                name: "server resident memory, \(devices.formatted()) devices each publishing 1 batch/s",
                value: idle.peakMiB,
                unit: "MiB",
                reference: "the same server idle",
                referenceValue: idle.idleMiB,
                higherIsBetter: false,
                note: String(format: "%d s: ", seconds) + idle.summary
            )
        )
        report.add(
            Figure(
                section: "Scale of connections",
                name: "PUBACK p99, the same devices with one core kept busy (`yes`)",
                value: busy.percentile(99),
                unit: "ms",
                reference: "the same devices on the idle machine",
                referenceValue: idle.percentile(99),
                higherIsBetter: false,
                note: "goal: 10 ms at most; " + busy.summary
            )
        )
    }

    /// What one run of the devices against a server of its own saw.
    struct Outcome {
        var idleMiB: Double
        var peakMiB: Double
        var published: Int
        var failures: Int
        var dropped: Int
        /// PUBACK latencies in milliseconds, sorted.
        var latencies: [Double]

        func percentile(_ rank: Int) -> Double { EdgeBench.percentile(latencies, rank) }

        var summary: String {
            String(
                format: "%d publishes, %d failed, %d connections dropped, PUBACK p50 %.1f ms, p99 %.1f ms",
                published,
                failures,
                dropped,
                percentile(50),
                percentile(99)
            )
        }
    }

    /// Starts a server, connects the devices, has each publish once a second for `seconds`.
    static func session() async throws -> Outcome {
        let directory = ServerBench.temporaryDirectory("scale")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = Process()
        server.executableURL = binary
        server.arguments = [
            "serve", "--data-dir", directory.path, "--http-port", "0", "--mqtt-port", "0", "--dev-open",
        ]
        let output = Pipe()
        server.standardOutput = output
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { if server.isRunning { server.terminate() } }
        var ready = ""
        while !ready.contains("mqtt: ") {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw CancellationError() }
            ready += String(decoding: chunk, as: UTF8.self)
        }
        let lines = ready.split(separator: "\n")
        let http = String(lines.first { $0.hasPrefix("http: ") }!.dropFirst(6))
        let mqttPort = Int(lines.first { $0.hasPrefix("mqtt: ") }!.split(separator: ":").last!)!
        try await Task.sleep(for: .seconds(2))
        let idle = Machine.residentMiB(pid: server.processIdentifier)

        let bodies = try batches()
        let counters = Counters()
        // Connected 50 at a time; each keeps its index (its client id and its place in the second).
        let clients = try await withThrowingTaskGroup(of: (Int, MQTTClient).self) { group in
            var connected: [(Int, MQTTClient)] = []
            for index in 0..<devices {
                group.addTask {
                    let client = MQTTClient(
                        configuration: .init(
                            host: "127.0.0.1",
                            port: mqttPort,
                            clientID: String(format: "sim-%04d", index)
                        )
                    )
                    try await client.connect()
                    return (index, client)
                }
                if index >= 50, let done = try await group.next() { connected.append(done) }
            }
            for try await done in group { connected.append(done) }
            return connected.sorted { $0.0 < $1.0 }.map(\.1)
        }
        let connectedAt = ContinuousClock.now
        let sampler = Task {
            while !Task.isCancelled {
                let mebibytes = Int(Machine.residentMiB(pid: server.processIdentifier))
                if mebibytes > counters.peak.load(ordering: .relaxed) {
                    counters.peak.store(mebibytes, ordering: .relaxed)
                }
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for (index, client) in clients.enumerated() {
                group.addTask {
                    var samples: [Double] = []
                    // Spread over the second, as independent devices are.
                    try await Task.sleep(for: .milliseconds(index * 1_000 / devices))
                    let topic = "dev/\(String(format: "sim-%04d", index))/sync/telemetry/batch"
                    for (second, body) in bodies[index].enumerated() {
                        let start = ContinuousClock.now
                        do {
                            try await client.publish(topic: topic, payload: body)
                            counters.published.add(1, ordering: .relaxed)
                            samples.append(EdgeBench.milliseconds(ContinuousClock.now - start))
                        } catch {
                            counters.failures.add(1, ordering: .relaxed)
                        }
                        let next = connectedAt + .seconds(second + 1) + .milliseconds(index * 1_000 / devices)
                        if next > ContinuousClock.now { try await Task.sleep(until: next) }
                    }
                    return samples
                }
            }
            var all: [Double] = []
            for try await part in group { all += part }
            return all.sorted()
        }
        sampler.cancel()
        let dropped = try await disconnections(
            http: http,
            token: String(contentsOf: directory.appendingPathComponent("admin.token"), encoding: .utf8)
        )
        for client in clients { await client.shutdown() }
        server.terminate()
        server.waitUntilExit()
        return Outcome(
            idleMiB: idle,
            peakMiB: Double(counters.peak.load(ordering: .relaxed)),
            published: counters.published.load(ordering: .relaxed),
            failures: counters.failures.load(ordering: .relaxed),
            dropped: dropped,
            latencies: latencies
        )
    }

    /// Each device's batches, one a second, encoded before any is sent: the simulated devices share
    /// the server's 2 cores, and encoding as they went took them 0.44 of a core rather than 0.26
    /// (`perf stat`), work that is not the server's. A sample's timestamp is thus up to `seconds`
    /// older than its publish, which the server takes as it would from a device that had been
    /// offline.
    static func batches() throws -> [[ByteBuffer]] {
        let encoder = JSONEncoder()
        return try (0..<devices).map { index in
            try (0..<seconds).map { second in
                let batch = TelemetryBatch(
                    batchID: UUIDv7Generator.shared.next(),
                    batchSeq: Int64(second + 1),
                    sourceTable: "vibration",
                    schemaHash: fingerprint.schemaHash,
                    schemaColumns: second == 0 ? fingerprint : nil,
                    rows: [
                        TelemetryRow(
                            ts: .now,
                            rowID: String(second),
                            fields: ["mm_s": .double(Double(index % 50) / 10)]
                        )
                    ]
                )
                return ByteBuffer(bytes: try encoder.encode(batch))
            }
        }
    }

    /// Shared by the device tasks and the memory sampler.
    final class Counters: Sendable {
        let published = Atomic<Int>(0)
        let failures = Atomic<Int>(0)
        /// Peak resident MiB of the server.
        let peak = Atomic<Int>(0)
    }

    static let fingerprint = SchemaFingerprint(
        tableName: "vibration",
        columns: [
            SchemaColumn(name: "mm_s", declTypeAffinity: .real, pkOrdinal: 0, notNull: false),
            SchemaColumn(name: "ts", declTypeAffinity: .text, pkOrdinal: 0, notNull: true),
        ]
    )

    /// `device.disconnected` events while every client was meant to stay connected.
    static func disconnections(http: String, token: String) async throws -> Int {
        var request = URLRequest(url: URL(string: "\(http)/core/api/v1/projects")!)
        request.setValue(
            "Bearer \(token.trimmingCharacters(in: .whitespacesAndNewlines))",
            forHTTPHeaderField: "Authorization"
        )
        let projects = try JSONDecoder().decode(
            PageEnvelope<Project>.self,
            from: try await URLSession.shared.data(for: request).0
        )
        request.url = URL(
            string: "\(http)/core/api/v1/projects/\(projects.data[0].id)/events?kind=device.disconnected&limit=1"
        )!
        return try JSONDecoder().decode(
            PageEnvelope<Event>.self,
            from: try await URLSession.shared.data(for: request).0
        ).meta.total
    }
}

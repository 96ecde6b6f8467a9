import EdgeSyncModels
import Foundation
import MQTT
import NIOCore
import TestSupport
import Testing

@testable import Server

/// SIGKILL the server process in the middle of a stream of batches; the client resends what was
/// not acknowledged; after the restart every row is staged exactly once.
@Suite("Crash recovery", .serialized)
struct CrashRecoveryTests {
    /// `platform-tui`, built next to the test bundle.
    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "platform-tui"
        ).path
    }

    static func serve(
        directory: URL,
        store: StoreLocation,
        http: Int,
        mqtt: Int
    ) async throws -> ProcessRunner.Running {
        let process = try ProcessRunner.start(
            binary,
            [
                "serve", "--data-dir", directory.path, "--store", store.url, "--http-port", String(http),
                "--mqtt-port", String(mqtt), "--dev-open",
            ]
        )
        let deadline = ContinuousClock.now + .seconds(30)
        while !process.output().stdout.contains("mqtt: ") {
            guard process.isRunning, ContinuousClock.now < deadline else {
                throw ProcessRunner.Failure.timedOut("platform-tui serve: \(process.output().stderr)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process
    }

    @Test func everyRowIsStagedExactlyOnceAcrossAKill() async throws {
        try await Turns.heavyProcesses.run { try await self.everyRowIsStagedExactlyOnceAcrossAKillSteps() }
    }

    func everyRowIsStagedExactlyOnceAcrossAKillSteps() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "edgesync-crash-\(UUID().uuidString)"
        )
        let (http, mqtt) = (try await freeTestPort(), try await freeTestPort())
        let store = try await testStoreLocation(directory: directory)
        var server = try await Self.serve(directory: directory, store: store, http: http, mqtt: mqtt)
        let client = MQTTClient(
            configuration: .init(
                host: "127.0.0.1",
                port: mqtt,
                clientID: "crash-1",
                reconnect: MQTTReconnectPolicy(initialDelay: .milliseconds(50), maximumDelay: .milliseconds(300))
            )
        )
        let runner = Task { await client.run() }
        #expect(await client.waitUntilConnected(timeout: hangDeadline))
        let batches = 120
        let rowsPerBatch = 25
        let acknowledged = Counter()
        // Eight batches in flight at a time, each awaiting its PUBACK across reconnects.
        let stream = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<batches {
                    if index >= 8 { try await group.next() }
                    let first = Int64(index * rowsPerBatch + 1)
                    let body = CanonicalJSON.string(
                        of: .object(rowBatch(seqs: first...(first + Int64(rowsPerBatch) - 1), columns: deviceStateV1))
                    )
                    group.addTask {
                        try await client.publish(
                            topic: "dev/crash-1/sync/rows/batch",
                            payload: ByteBuffer(string: body)
                        )
                        await acknowledged.increment()
                    }
                }
                try await group.waitForAll()
            }
        }
        while await acknowledged.value < batches / 3 { try await Task.sleep(for: .milliseconds(5)) }
        await server.kill9()
        let killedAt = await acknowledged.value
        server = try await Self.serve(directory: directory, store: store, http: http, mqtt: mqtt)
        try await stream.value
        #expect(killedAt < batches)

        let token = try String(contentsOf: directory.appendingPathComponent("admin.token"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let projects = try await LiveHTTP(baseURL: "http://127.0.0.1:\(http)/core/api/v1", token: token).get(
            "/projects",
            as: PageEnvelope<Project>.self
        )
        let api = LiveHTTP(
            baseURL: "http://127.0.0.1:\(http)/core/api/v1/projects/\(projects.data[0].id)",
            token: token
        )
        let lineage = try #require(try await api.get("/edge/lineages", as: PageEnvelope<Lineage>.self).data.first)
        #expect(lineage.stagedRowCount == Int64(batches * rowsPerBatch))
        var seqs: [Int64] = []
        var page = 1
        while true {
            let rows = try await api.get(
                "/edge/lineages/\(lineage.id)/staged-rows?limit=500&page=\(page)",
                as: PageEnvelope<StagedRow>.self
            )
            seqs += rows.data.compactMap(\.commitSeq)
            if rows.data.count < 500 { break }
            page += 1
        }
        #expect(seqs.sorted() == Array(1...Int64(batches * rowsPerBatch)))
        let ledger = try await api.get("/edge/batches?outcome=staged&limit=1", as: PageEnvelope<BatchLedgerEntry>.self)
        #expect(ledger.meta.total <= batches)
        await client.shutdown()
        await runner.value
        await server.stop()
    }
}

actor Counter {
    private(set) var value = 0
    func increment() { value += 1 }
}

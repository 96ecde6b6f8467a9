import EdgeSyncModels
import Foundation
import GRDB
import MQTT
import NIOCore
import TestSupport
import Testing

@testable import Agent

/// The agent with Debian's `mosquitto` as its broker and a plain MQTT subscriber as the cloud:
/// valid batches arrive on the device's topics, controls are acknowledged on `sync/ingest/ack`.
@Suite("Agent ⇄ mosquitto", .serialized)
struct AgentBrokerTests {
    @Test func batchesAndControlAcksThroughMosquitto() async throws {
        try await MosquittoBroker.with { broker in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "edgesync-broker-\(UUID().uuidString)"
            )
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let app = try AppDatabase.open(directory.appendingPathComponent("app.db").path)
            try await app.write { try $0.execute(sql: AgentHarness.schema) }
            let cloud = MQTTClient(configuration: .init(host: "127.0.0.1", port: broker.port, clientID: "cloud"))
            try await cloud.connect()
            _ = try await cloud.subscribe([.init(topicFilter: "dev/pump-7/sync/#", qos: .atLeastOnce)])
            var inbox = cloud.messages.makeAsyncIterator()
            var configuration = AgentConfiguration()
            configuration.serverURL = "mqtt://127.0.0.1:\(broker.port)"
            configuration.deviceID = "pump-7"
            configuration.sourceDatabasePath = directory.appendingPathComponent("app.db").path
            configuration.flushInterval = .milliseconds(100)
            configuration.tableStrategies = ["sensor_timeseries": .telemetry(tsColumn: "ts", includeColumns: ["value"])]
            let agent = try EdgeAgent(configuration: configuration, logger: .quiet)
            try await agent.prepare()
            let task = Task { try await agent.run() }
            try await app.write { db in
                for id in 1...30 {
                    try db.execute(sql: "INSERT INTO device_state VALUES (?, 'idle', 1.5, NULL)", arguments: [id])
                }
                try db.execute(sql: "INSERT INTO sensor_timeseries VALUES ('2026-11-25T06:00:00.5Z', 21.5, 'C')")
            }
            var rows = 0
            var samples: [TelemetryRow] = []
            while rows < 30 || samples.isEmpty {
                let message = try #require(await inbox.next())
                await message.acknowledge()
                let suffix = String(message.topic.dropFirst("dev/pump-7/".count))
                guard let topic = UplinkTopic(rawValue: suffix) else { continue }
                switch PayloadValidator().validate(Array(message.payload.readableBytesView), topic: topic) {
                case .success(.rowBatch(let batch)): rows += batch.rows.count
                case .success(.telemetryBatch(let batch)): samples += batch.rows
                case .success: break
                case .failure(let rejection): Issue.record("\(topic.rawValue) rejected: \(rejection)")
                }
            }
            #expect(
                rows == 30 && samples.map(\.fields) == [["value": .double(21.5)]]
                    && samples.first?.ts.description == "2026-11-25T06:00:00.5Z"
            )
            let control = DownlinkControl(
                controlID: UUIDv7Generator.shared.next().description,
                payload: .pauseLineage(sourceTable: "device_state", serverWatermark: 30, reason: "backpressure")
            )
            // The agent subscribes to its controls beside its first publishes, and the broker
            // drops a control published before that: sent again until acknowledged, as the
            // server resends a control.
            let body = ByteBuffer(bytes: try JSONEncoder().encode(control))
            let resend = Task {
                while !Task.isCancelled {
                    try await cloud.publish(topic: "dev/pump-7/sync/ingest/control", payload: body)
                    try await Task.sleep(for: .milliseconds(500))
                }
            }
            defer { resend.cancel() }
            var acked = false
            while !acked {
                let message = try #require(await inbox.next())
                await message.acknowledge()
                if message.topic.hasSuffix("sync/ingest/ack") {
                    acked =
                        String(buffer: message.payload) == #"{"format_version":1,"control_id":"\#(control.controlID)"}"#
                }
            }
            #expect(acked)
            task.cancel()
            _ = try? await task.value
            await cloud.shutdown()
        }
    }
}

import Foundation
import MQTT
import NIOCore

/// QoS 1 publishes/s of 1,000-byte messages from our client to our listener and to a `mosquitto`
/// broker, same machine, same run; one message at a time and with 64 in flight.
enum MQTTThroughputBench {
    struct Discard: MQTTListenerDelegate {
        func mqttListener(didReceive message: MQTTInboundPublish, from session: MQTTSessionInfo) async throws {}
    }

    struct AllowAll: MQTTTopicACL {
        func canPublish(_ principal: MQTTPrincipal, topic: String) -> Bool { true }
        func canSubscribe(_ principal: MQTTPrincipal, filter: String) -> Bool { true }
    }

    static let messageCount = 20_000

    static func run(mosquittoPort: Int?) async throws {
        let listener = MQTTListener(
            configuration: .init(port: 0),
            authenticator: DevOpenAuthenticator { MQTTPrincipal(clientID: $0, rootTopic: "bench/" + $0, identity: $0) },
            acl: AllowAll(), delegate: Discard())
        let port = try await listener.start()
        for window in [1, 64] {
            let ours = try await measure(port: port, window: window)
            var line = String(format: "mqtt qos1 1000 B, window %2d: our listener %8.0f msg/s", window, ours)
            if let mosquittoPort {
                let theirs = try await measure(port: mosquittoPort, window: window)
                line += String(format: ", mosquitto %8.0f msg/s, ratio %.2f", theirs, ours / theirs)
            }
            print(line)
        }
        await listener.shutdown()
    }

    static func measure(port: Int, window: Int) async throws -> Double {
        let client = MQTTClient(configuration: .init(host: "127.0.0.1", port: port, clientID: "bench-\(window)", cleanSession: true))
        try await client.connect()
        let payload = ByteBuffer(repeating: 0x61, count: 1_000)
        let topic = "bench/bench-\(window)/sync/rows/batch"
        for _ in 0..<200 { try await client.publish(topic: topic, payload: payload) }
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            var sent = 0
            while sent < min(window, messageCount) {
                group.addTask { try await client.publish(topic: topic, payload: payload) }
                sent += 1
            }
            while try await group.next() != nil {
                if sent < messageCount {
                    group.addTask { try await client.publish(topic: topic, payload: payload) }
                    sent += 1
                }
            }
        }
        let elapsed = ContinuousClock.now - start
        await client.shutdown()
        return Double(messageCount) / EdgeBench.seconds(elapsed)
    }
}

/// A `mosquitto` broker for the comparison, when Debian's package is installed.
final class BenchBroker {
    let process: Process
    let port: Int

    init?(port: Int) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("edge-bench-mosquitto")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("mosquitto.conf")
        let text = "allow_anonymous true\npersistence false\nmax_inflight_messages 0\nlistener \(port) 127.0.0.1\n"
        guard (try? text.write(to: config, atomically: true, encoding: .utf8)) != nil,
              FileManager.default.isExecutableFile(atPath: "/usr/sbin/mosquitto")
        else { return nil }
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/mosquitto")
        process.arguments = ["-c", config.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        self.port = port
    }

    func stop() {
        // SIGKILL: it cannot be blocked, whatever signal mask the broker inherited.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

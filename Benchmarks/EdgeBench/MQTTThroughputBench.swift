import Foundation
import MQTT
import NIOCore

/// QoS 1 publishes/s of 1 KiB and 512 KiB messages from our client to our listener and to a
/// `mosquitto` broker, same machine, same run, one at a time and pipelined; each the median of
/// runs that alternate between the two. The client runs in a process of its own (this executable,
/// `--publish-client`), as devices do: in this process it would share the listener's event loop
/// threads, which it never shares with `mosquitto`, and the figure would move with which thread
/// each connection lands on.
enum MQTTThroughputBench {
    struct Discard: MQTTListenerDelegate {
        func mqttListener(didReceive message: MQTTInboundPublish, from session: MQTTSessionInfo) async throws {}
    }

    struct AllowAll: MQTTTopicACL {
        func canPublish(_ principal: MQTTPrincipal, topic: String) -> Bool { true }
        func canSubscribe(_ principal: MQTTPrincipal, filter: String) -> Bool { true }
    }

    /// (message size, messages in flight, messages sent).
    static let cases = [(1_024, 1, 5_000), (1_024, 64, 20_000), (524_288, 1, 200), (524_288, 8, 400)]

    static func run(_ report: BenchReport, mosquittoPort: Int?) async throws {
        guard let mosquittoPort else {
            print("mqtt: mosquitto not installed (make deps installs it); no reference, skipped")
            return
        }
        let listener = benchListener(port: 0)
        let port = try await listener.start()
        let floor = try await MQTTFloorListener.start()
        for (size, window, count) in cases {
            let (ours, theirs) = try await EdgeBench.alternating(
                EdgeBench.runs,
                { _ in try await measure(port: port, size: size, window: window, count: count) },
                { _ in try await measure(port: mosquittoPort, size: size, window: window, count: count) }
            )
            report.add(
                Figure(
                    section: "MQTT QoS 1 publishes, our listener",
                    name: "\(size == 1_024 ? "1 KiB" : "512 KiB"), \(window) in flight",
                    value: ours,
                    unit: "msg/s",
                    reference: "mosquitto",
                    referenceValue: theirs,
                    note: String(format: "%.0f MiB/s", ours * Double(size) / 1_048_576)
                        + "; medians of \(EdgeBench.runs) alternating runs"
                )
            )
        }
        // The floor for the lone publish: how far the listener's own work is from what NIO allows.
        let (lowest, theirs) = try await EdgeBench.alternating(
            EdgeBench.runs,
            { _ in try await measure(port: floor.localAddress?.port ?? 0, size: 1_024, window: 1, count: 5_000) },
            { _ in try await measure(port: mosquittoPort, size: 1_024, window: 1, count: 5_000) }
        )
        report.add(
            Figure(
                section: "MQTT QoS 1 publishes, our listener",
                name: "1 KiB, 1 in flight, NIO floor (`MQTTFloorListener`)",
                value: lowest,
                unit: "msg/s",
                reference: "mosquitto",
                referenceValue: theirs,
                note:
                    "one handler answering PUBACK from bytes, not a listener; medians of \(EdgeBench.runs) alternating runs"
            )
        )
        try await floor.close()
        await listener.shutdown()
    }

    /// One run: a client process publishes `count` messages and prints the msg/s it reached.
    static func measure(port: Int, size: Int, window: Int, count: Int) async throws -> Double {
        let client = Process()
        client.executableURL = EdgeBench.sibling("edge-bench")
        client.arguments = [clientFlag] + [port, size, window, count].map(String.init)
        let output = Pipe()
        client.standardOutput = output
        try client.run()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        client.waitUntilExit()
        guard client.terminationStatus == 0, let rate = Double(printed.trimmingCharacters(in: .whitespacesAndNewlines))
        else { throw BenchFailure("the publishing client (port \(port)) failed: \(printed)") }
        return rate
    }

    /// The listener the figures measure: every message accepted and discarded.
    static func benchListener(port: Int) -> MQTTListener {
        MQTTListener(
            configuration: .init(port: port),
            authenticator: DevOpenAuthenticator { MQTTPrincipal(clientID: $0, rootTopic: "bench/" + $0, identity: $0) },
            acl: AllowAll(),
            delegate: Discard()
        )
    }

    static let listenerFlag = "--listener"

    /// `--listener PORT [floor]`: the benchmark's listener (or NIO's floor) alone until killed,
    /// for a profiler to attach to while `--publish-client` processes publish to it.
    static func listenerMain(_ arguments: [String]) async throws {
        guard (1...2).contains(arguments.count), let port = Int(arguments[0]),
            arguments.dropFirst().allSatisfy({ $0 == "floor" })
        else {
            throw BenchFailure("usage: edge-bench \(listenerFlag) PORT [floor]")
        }
        if arguments.count == 2 {
            let floor = try await MQTTFloorListener.start(port: port)
            print("NIO's floor listening on \(floor.localAddress?.port ?? port) (pid \(getpid()))")
        } else {
            let listener = benchListener(port: port)
            print("listening on \(try await listener.start()) (pid \(getpid()))")
        }
        try await Task.sleep(for: .seconds(86_400 * 365))
    }

    static let clientFlag = "--publish-client"

    /// The client process: `--publish-client PORT SIZE WINDOW COUNT` prints the msg/s it reached.
    static func clientMain(_ arguments: [String]) async throws {
        let numbers = arguments.compactMap(Int.init)
        guard numbers.count == 4, numbers.count == arguments.count else {
            throw BenchFailure("usage: edge-bench \(clientFlag) PORT SIZE WINDOW COUNT")
        }
        print(try await publish(port: numbers[0], size: numbers[1], window: numbers[2], count: numbers[3]))
    }

    static func publish(port: Int, size: Int, window: Int, count: Int) async throws -> Double {
        let client = MQTTClient(
            configuration: .init(host: "127.0.0.1", port: port, clientID: "bench-\(window)", cleanSession: true)
        )
        try await client.connect()
        let payload = ByteBuffer(repeating: 0x61, count: size)
        let topic = "bench/bench-\(window)/sync/rows/batch"
        for _ in 0..<min(200, count / 4) { try await client.publish(topic: topic, payload: payload) }
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            var sent = 0
            while sent < min(window, count) {
                group.addTask { try await client.publish(topic: topic, payload: payload) }
                sent += 1
            }
            while try await group.next() != nil {
                if sent < count {
                    group.addTask { try await client.publish(topic: topic, payload: payload) }
                    sent += 1
                }
            }
        }
        let elapsed = ContinuousClock.now - start
        await client.shutdown()
        return Double(count) / EdgeBench.seconds(elapsed)
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
        let text =
            "allow_anonymous true\npersistence false\nmax_inflight_messages 0\nmax_packet_size 1048576\nlistener \(port) 127.0.0.1\n"
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

import Foundation

/// A real `mosquitto` broker on a free loopback port, configured by the test.
public final class MosquittoBroker: Sendable {
    public let port: Int
    public let process: ProcessRunner.Running
    public let configPath: String

    /// Extra listener lines (TLS) follow the plain listener.
    public static func start(port: Int? = nil, extraConfiguration: String = "") async throws -> MosquittoBroker {
        let port = if let port { port } else { try await freeTestPort() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "edgesync-mosquitto-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let configPath = directory.appendingPathComponent("mosquitto.conf").path
        let configuration = """
            per_listener_settings false
            allow_anonymous true
            persistence false
            max_inflight_messages 0
            max_queued_messages 100000
            listener \(port) 127.0.0.1
            \(extraConfiguration)
            """
        try configuration.write(toFile: configPath, atomically: true, encoding: .utf8)
        let process = try ProcessRunner.start("mosquitto", ["-c", configPath])
        let broker = MosquittoBroker(port: port, process: process, configPath: configPath)
        try await waitForPort(port, process: process)
        return broker
    }

    private init(port: Int, process: ProcessRunner.Running, configPath: String) {
        self.port = port
        self.process = process
        self.configPath = configPath
    }

    public func stop() async { await process.stop() }

    public static func waitForPort(
        _ port: Int,
        process: ProcessRunner.Running,
        name: String = "mosquitto",
        timeout: Duration = hangDeadline
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if !process.isRunning {
                throw ProcessRunner.Failure.spawnFailed("\(name): \(process.output().stderr)", -1)
            }
            if ListeningSocket.held(by: process.pid, port: port) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ProcessRunner.Failure.timedOut("\(name) on port \(port): \(process.output().stderr)")
    }
}

extension MosquittoBroker {
    /// Runs `body` with a started broker and always stops it afterwards.
    public static func with<T>(
        port: Int? = nil,
        extraConfiguration: String = "",
        _ body: (MosquittoBroker) async throws -> T
    ) async throws -> T {
        try await scoped(
            try await start(port: port, extraConfiguration: extraConfiguration),
            cleanup: { await $0.stop() },
            body
        )
    }
}

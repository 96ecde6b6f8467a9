import Foundation
import Logging
import MQTT
import Testing

@testable import Agent

/// The agent says when it connects, is refused (with the CONNACK code) and loses its connection;
/// a problem repeated while it retries is one line and a count.
@Suite("Connection log")
struct ConnectionLogTests {
    @Test func everyTransitionOnceAndRepeatsCounted() {
        var log = ConnectionLog(server: "mqtt://broker:1883")
        var lines: [String] = []
        for event: MQTTConnectionEvent in [
            .failed("connection refused (errno 111)"), .failed("connection refused (errno 111)"),
            .failed("connection refused (errno 111)"), .connected(sessionPresent: false), .lost,
            .refused(.notAuthorized), .refused(.notAuthorized), .connected(sessionPresent: true),
        ] {
            lines += log.lines(for: event).map(\.message)
        }
        var events = ConnectionLog(server: "s")
        #expect(
            [MQTTConnectionEvent.connected(sessionPresent: false), .lost, .refused(.notAuthorized)].flatMap {
                events.lines(for: $0).map { "\($0.level) \($0.event)" }
            } == ["notice connected", "warning disconnected", "error connect_refused"]
        )
        #expect(
            lines == [
                "cannot connect to mqtt://broker:1883: connection refused (errno 111)",
                "(cannot connect to mqtt://broker:1883: connection refused (errno 111)) repeated 2 more times",
                "connected to mqtt://broker:1883 (new session)",
                "connection to mqtt://broker:1883 lost; reconnecting",
                "mqtt://broker:1883 refused the connection: CONNACK 5, not authorized (check the device's certificate: it may be superseded or revoked)",
                "(mqtt://broker:1883 refused the connection: CONNACK 5, not authorized (check the device's certificate: it may be superseded or revoked)) repeated 1 more times",
                "connected to mqtt://broker:1883 (session resumed)",
            ]
        )
    }

    @Test func theAgentLogsItsConnectionAndItsLoss() async throws {
        let harness = try await AgentHarness()
        let lines = LogLines()
        let (_, task) = try await harness.startAgent(logger: lines.logger)
        let server = "mqtt://127.0.0.1:\(harness.mqttPort)"
        // A CONNACK that comes after the client's connect timeout leaves the session on the
        // server, and the next attempt resumes it: on a loaded machine the first connection can
        // rightly log "(session resumed)", and so can the first after the server's restart.
        let connected = { (line: String) in line.hasPrefix("connected to \(server) (") }
        #expect(
            try await harness.waitFor { lines.contains(where: connected) ? true : nil } == true,
            "\(lines.all)"
        )
        let connections = lines.count(where: connected)
        await harness.stopServer()
        #expect(
            try await harness.waitFor { lines.contains("connection to \(server) lost; reconnecting") ? true : nil }
                == true,
            "\(lines.all)"
        )
        #expect(
            try await harness.waitFor {
                lines.contains(where: { $0.hasPrefix("cannot connect to \(server): ") }) ? true : nil
            } == true,
            "\(lines.all)"
        )
        try await harness.restartServer()
        #expect(
            try await harness.waitFor { lines.count(where: connected) > connections ? true : nil } == true,
            "\(lines.all)"
        )
        task.cancel()
        _ = try? await task.value
        await harness.stop()
    }
}

/// The messages an agent logged, read by the test while the agent writes them.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    private var events: [String] = []

    /// A logger whose every line lands here.
    var logger: Logger {
        Logger(label: "edge-agent-test") { _ in Collector(lines: self) }
    }

    struct Collector: LogHandler {
        let lines: LogLines
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            lines.append("\(event.message)", event: event.metadata?["event"].map { "\($0)" } ?? "")
        }
    }

    func append(_ line: String, event: String = "") {
        lock.lock()
        defer { lock.unlock() }
        lines.append(line)
        events.append(event)
    }

    /// The event names logged so far, in order.
    var eventNames: [String] {
        lock.lock()
        defer { lock.unlock() }
        return events
    }

    /// Every line so far, for a failure's message.
    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }

    func contains(_ line: String) -> Bool { contains(where: { $0 == line }) }

    func count(where predicate: (String) -> Bool) -> Int {
        lock.lock()
        defer { lock.unlock() }
        return lines.filter(predicate).count
    }

    func contains(where predicate: (String) -> Bool) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return lines.contains(where: predicate)
    }
}

import EdgeSyncModels
import Foundation
import Logging
import TestSupport
import Testing

@testable import Agent

/// The agent's log: one line per event with its time, level, name and fields, as text or JSON,
/// from the formatter alone and from the real process.
@Suite("Agent log lines")
struct AgentLogTests {
    @Test func textAndJSONLines() throws {
        let time = try #require(Timestamp(rfc3339: "2026-12-02T23:01:49.5Z"))
        let fields: Logger.Metadata = ["table": "device_state", "server": "mqtt://broker:1883"]
        #expect(
            AgentLogHandler.line(
                .text,
                time: time,
                level: .warning,
                event: "connect_failed",
                message: "cannot connect to mqtt://broker:1883: refused",
                fields
            )
                == "2026-12-02T23:01:49.5Z warning connect_failed server=mqtt://broker:1883 table=device_state: "
                + "cannot connect to mqtt://broker:1883: refused"
        )
        let json = AgentLogHandler.line(
            .json,
            time: time,
            level: .notice,
            event: "lineage_paused",
            message: "device_state: paused by the server (backpressure)",
            ["table": "device_state"]
        )
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String])
        #expect(
            object == [
                "ts": "2026-12-02T23:01:49.5Z", "level": "notice", "event": "lineage_paused", "table": "device_state",
                "message": "device_state: paused by the server (backpressure)",
            ]
        )
        // A value with a space is quoted, so that key=value stays one token.
        #expect(
            AgentLogHandler.line(.text, time: time, level: .info, event: "e", message: "m", ["why": "two words"])
                == #"2026-12-02T23:01:49.5Z info e why="two words": m"#
        )
    }

    /// The process with `--log-format json`: each stderr line is a JSON object with a time, a
    /// level and an event; it says when it connects, and when the server goes away.
    @Test func theProcessLogsJSONLinesAsEventsHappen() async throws {
        try await Turns.heavyProcesses.run {
            let harness = try await AgentHarness()
            let agent = try ProcessRunner.start(
                AgentKillTests.binary,
                ["run", "--config", try harness.processConfiguration(), "--log-format", "json"]
            )
            func events() -> [[String: String]] {
                agent.output().stderr.split(separator: "\n").compactMap {
                    try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String]
                }
            }
            let connected = try await harness.waitFor { events().first { $0["event"] == "connected" } }
            #expect(connected?["level"] == "notice" && connected?["server"] == "mqtt://127.0.0.1:\(harness.mqttPort)")
            #expect(connected?["ts"].flatMap(Timestamp.init(rfc3339:)) != nil)
            await harness.stopServer()
            #expect(try await harness.waitFor { events().first { $0["event"] == "disconnected" } } != nil)
            let lines = agent.output().stderr.split(separator: "\n")
            #expect(lines.count == events().count, "every line is JSON: \(lines)")
            await agent.stop()
            await harness.stop()
        }
    }
}

/// A failure that recurs on every flush is one line a minute with its count.
@Suite("Agent repeated errors")
struct RepeatLimiterTests {
    @Test func aRepeatIsCountedAndSaidWithTheNextLineLetThrough() {
        var limiter = RepeatLimiter(window: .seconds(60))
        let start = ContinuousClock.now
        #expect(limiter.admit("poll_failed disk I/O error", at: start) == 0)
        for second in 1...5 {
            #expect(limiter.admit("poll_failed disk I/O error", at: start + .seconds(second)) == nil)
        }
        #expect(limiter.admit("publish_failed t refused", at: start + .seconds(6)) == 0, "another error is its own")
        #expect(limiter.admit("poll_failed disk I/O error", at: start + .seconds(61)) == 5)
        #expect(limiter.admit("poll_failed disk I/O error", at: start + .seconds(200)) == 0)
    }

    @Test func theAgentLogsARepeatedErrorOnce() async throws {
        let harness = try await AgentHarness()
        let lines = LogLines()
        let agent = try EdgeAgent(configuration: harness.configuration, logger: lines.logger)
        for _ in 0..<5 { agent.log(.error, "poll_failed", "poll failed: disk I/O error") }
        agent.log(.notice, "lineage_resumed", "resumed", table: "t")
        agent.log(.notice, "lineage_resumed", "resumed", table: "t")
        #expect(lines.eventNames.filter { $0 == "poll_failed" }.count == 1, "\(lines.eventNames)")
        #expect(lines.eventNames.filter { $0 == "lineage_resumed" }.count == 2, "notices are never held back")
        await harness.stop()
    }
}

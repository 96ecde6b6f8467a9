import EdgeSyncModels
import Foundation
import TestSupport
import Testing

@testable import Agent

/// The metrics file for node_exporter's textfile collector: its text, its checks, and a running
/// agent keeping it current.
@Suite("Agent metrics", .serialized)
struct AgentMetricsTests {
    @Test func theTextFormatWithEscapedLabels() {
        let status = AgentInspection.Status(
            connection: "connected",
            diskFreeBytes: 1_000,
            pendingRows: 3,
            pendingBytes: 90,
            tables: [
                .init(name: "a\"b", strategy: "rows", cursor: "-", pendingRows: 3, pendingBytes: 90, paused: true),
                .init(
                    name: "t",
                    strategy: "telemetry",
                    cursor: "-",
                    pendingRows: 0,
                    pendingBytes: 0,
                    paused: false,
                    lastError: "x"
                ),
            ]
        )
        let text = AgentMetrics(
            status: status,
            publishedRows: 12,
            startedAt: Timestamp(seconds: 100),
            now: Timestamp(seconds: 160)
        ).text
        let samples = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(samples.contains("edge_agent_connected 1"))
        #expect(samples.contains(#"edge_agent_pending_rows{table="a\"b"} 3"#))
        #expect(samples.contains(#"edge_agent_table_paused{table="a\"b"} 1"#))
        #expect(samples.contains(#"edge_agent_table_error{table="t"} 1"#))
        #expect(
            samples.contains("edge_agent_published_rows_total 12")
                && samples.contains("edge_agent_disk_free_bytes 1000")
        )
        #expect(samples.contains("edge_agent_metrics_updated_seconds 160"))
        #expect(text.contains("# TYPE edge_agent_published_rows_total counter") && text.hasSuffix("\n"))
    }

    @Test func checkRefusesAFileTheCollectorWouldNotRead() throws {
        var configuration = AgentConfiguration()
        configuration.metricsTextfile = "/nonexistent-dir/agent.prom"
        #expect(
            AgentInspection.configurationProblems(configuration, tables: []).contains {
                $0.hasPrefix("metrics.textfile: the directory")
            }
        )
        configuration.metricsTextfile = "/tmp/agent.txt"
        #expect(
            AgentInspection.configurationProblems(configuration, tables: []).contains {
                $0.contains("must end in .prom")
            }
        )
        let loaded = try AgentConfigurationLoader(environment: [:]).load(
            yaml: "metrics: {textfile: /tmp/a.prom, interval: 2s}"
        )
        #expect(loaded.metricsTextfile == "/tmp/a.prom" && loaded.metricsInterval == .seconds(2))
    }

    @Test func aRunningAgentKeepsTheFileCurrent() async throws {
        try await Turns.heavyProcesses.run {
            let harness = try await AgentHarness()
            let file = harness.directory.appendingPathComponent("edge-agent.prom")
            harness.configuration.metricsTextfile = file.path
            harness.configuration.metricsInterval = .milliseconds(100)
            try await AgentServerTests.write(harness, from: 1, count: 5)
            let (_, task) = try await harness.startAgent()
            let text = try await harness.waitFor {
                let text = try? String(contentsOf: file, encoding: .utf8)
                return text.flatMap {
                    $0.contains("edge_agent_connected 1") && $0.contains(#"{table="device_state"}"#) ? $0 : nil
                }
            }
            #expect(text != nil, "the file says the agent is connected and lists its tables")
            for line in (text ?? "").split(separator: "\n") where !line.hasPrefix("#") {
                #expect(line.wholeMatch(of: /[a-z_]+(\{table="[^"]*"\})? -?[0-9]+/) != nil, "\(line)")
            }
            task.cancel()
            _ = try? await task.value
            await harness.stop()
        }
    }
}

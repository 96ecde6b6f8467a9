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
                .init(
                    name: "a\"b",
                    strategy: "rows",
                    cursor: "-",
                    pendingRows: 3,
                    pendingBytes: 90,
                    oldestPendingAgeSeconds: 42,
                    paused: true
                ),
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
        #expect(samples.contains(#"edge_agent_oldest_pending_age_seconds{table="a\"b"} 42"#))
        #expect(samples.contains(#"edge_agent_oldest_pending_age_seconds{table="t"} 0"#))
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

    @Test func theListenAddressIsHostAndPort() throws {
        for (text, host, port) in [
            ("127.0.0.1:9464", "127.0.0.1", 9464), ("[::1]:9464", "::1", 9464), ("0.0.0.0:0", "0.0.0.0", 0),
            ("metrics.local:80", "metrics.local", 80),
        ] {
            #expect(AgentMetricsAddress(text) == AgentMetricsAddress(host: host, port: port), "\(text)")
        }
        for text in ["9464", ":9464", "127.0.0.1", "127.0.0.1:x", "127.0.0.1:70000", "a b:1", "[]:1"] {
            #expect(AgentMetricsAddress(text) == nil, "\(text)")
        }
        #expect(AgentMetricsAddress("[::1]:9464")?.description == "[::1]:9464")
        let loaded = try AgentConfigurationLoader(environment: ["OMEGA_METRICS_LISTEN": "127.0.0.1:9100"]).load(
            yaml: "metrics: {interval: 5s}"
        )
        #expect(loaded.metricsListen == AgentMetricsAddress(host: "127.0.0.1", port: 9100))
        #expect(throws: AgentConfigurationError.self) {
            try AgentConfigurationLoader(environment: [:]).load(yaml: "metrics: {listen: localhost}")
        }
    }

    /// The endpoint a Prometheus scrapes, through curl: 503 until the agent has computed its
    /// metrics, then their text; HEAD without a body; other paths and methods refused.
    @Test func theEndpointServesTheLatestText() async throws {
        let server = try await AgentMetricsServer.start(AgentMetricsAddress(host: "127.0.0.1", port: 0))
        let url = "http://127.0.0.1:\(server.port)"
        func curl(_ arguments: String...) async throws -> String {
            try await ProcessRunner.run("curl", ["-s", "-i", "--max-time", "10"] + arguments).stdout
        }
        #expect(try await curl("\(url)/metrics").hasPrefix("HTTP/1.1 503"))
        server.publish("edge_agent_connected 1\n")
        let answer = try await curl("\(url)/metrics?x=1")
        #expect(answer.hasPrefix("HTTP/1.1 200") && answer.hasSuffix("\r\n\r\nedge_agent_connected 1\n"), "\(answer)")
        #expect(answer.lowercased().contains("content-type: text/plain; version=0.0.4; charset=utf-8"))
        let head = try await curl("-I", "\(url)/metrics")
        #expect(head.hasPrefix("HTTP/1.1 200") && !head.contains("edge_agent_connected"), "\(head)")
        #expect(try await curl("\(url)/").hasPrefix("HTTP/1.1 404"))
        let post = try await curl("-X", "POST", "\(url)/metrics")
        #expect(post.hasPrefix("HTTP/1.1 405") && post.contains("Allow: GET, HEAD"), "\(post)")
        // Two requests on one connection: a scraper keeps it open.
        let twice = try await curl("\(url)/metrics", "\(url)/metrics")
        #expect(twice.components(separatedBy: "HTTP/1.1 200").count == 3, "\(twice)")
        await server.stop()
    }

    /// The journal keeps no time: the age comes from when the agent first saw the entries, and
    /// clears once the server has them.
    @Test func statusGivesTheAgeOfTheOldestUnsentRow() async throws {
        try await Turns.heavyProcesses.run {
            let harness = try await AgentHarness()
            await harness.stopServer()
            let configuration = harness.configuration
            let (_, task) = try await harness.startAgent()
            try await harness.app.write { try $0.execute(sql: "INSERT INTO device_state (id, mode) VALUES (1, 'a')") }
            func age(_ status: AgentInspection.Status, _ table: String) -> Int64? {
                status.tables.first { $0.name == table }?.oldestPendingAgeSeconds
            }
            let seen = try await harness.waitFor { age(try AgentInspection.status(configuration), "device_state") }
            #expect(seen.map { $0 <= 5 } == true, "seen at the agent's first poll: \(String(describing: seen))")
            let now = Timestamp.now
            let later = try AgentInspection.status(configuration, now: Timestamp(seconds: now.seconds + 90))
            #expect((later.oldestPendingAgeSeconds ?? 0) >= 90 && (age(later, "device_state") ?? 0) >= 90)
            #expect(age(later, "sensor_timeseries") == nil, "nothing waits in sensor_timeseries")
            try await harness.restartServer()
            let cleared = try await harness.waitFor {
                let status = try AgentInspection.status(configuration)
                return status.pendingRows == 0 && status.oldestPendingAgeSeconds == nil ? true : nil
            }
            #expect(cleared == true, "no age once the server has every row")
            task.cancel()
            _ = try? await task.value
            await harness.stop()
        }
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

    @Test func aRunningAgentServesItsMetrics() async throws {
        try await Turns.heavyProcesses.run {
            let harness = try await AgentHarness()
            harness.configuration.metricsListen = AgentMetricsAddress(host: "127.0.0.1", port: 0)
            harness.configuration.metricsInterval = .milliseconds(100)
            let (agent, task) = try await harness.startAgent()
            let port = try await harness.waitFor { await agent.metricsServer?.port }
            let text = try await harness.waitFor {
                let answer = try await ProcessRunner.run(
                    "curl",
                    ["-sf", "--max-time", "10", "http://127.0.0.1:\(port ?? 0)/metrics"]
                ).stdout
                return answer.contains("edge_agent_connected 1") && answer.contains(#"{table="device_state"}"#)
                    ? answer : nil
            }
            #expect(text != nil, "the endpoint says the agent is connected and lists its tables")
            task.cancel()
            _ = try? await task.value
            #expect(
                try await ProcessRunner.run(
                    "curl",
                    ["-sf", "--max-time", "5", "http://127.0.0.1:\(port ?? 0)/metrics"]
                )
                .status != 0,
                "the port is closed once the agent stops"
            )
            await harness.stop()
        }
    }
}

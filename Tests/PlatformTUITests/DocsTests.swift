import Foundation
import TestSupport
import Testing

/// The documented commands work as written: every `sh` block of the wire-protocol guide, then of
/// the HTTP API guide, runs in order in one `bash` (errors stop it) against a fresh
/// `platform-tui serve`, with `platform-tui` on the PATH as the guides tell the reader to set up.
@Suite("Documentation", .serialized)
struct DocsTests {
    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// The bodies of the ```sh blocks of a Markdown file, in order.
    static func shellBlocks(of file: String) throws -> [String] {
        let text = try String(contentsOf: repository.appendingPathComponent(file), encoding: .utf8)
        var blocks: [String] = []
        var current: [Substring]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line == "```sh" {
                current = []
            } else if current != nil, line == "```" {
                blocks.append(current!.joined(separator: "\n"))
                current = nil
            } else {
                current?.append(line)
            }
        }
        return blocks
    }

    @Test func guidesRunAsWritten() async throws {
        try await Turns.heavyProcesses.run { try await self.guidesRunAsWrittenSteps() }
    }

    func guidesRunAsWrittenSteps() async throws {
        // Not dev-open: the guide's device must get in with its real password.
        let server = try await ServeProcess.start(devOpen: false)
        defer { Task { await server.process.stop() } }
        let (directory, mqtt) = (server.directory, server.mqtt)
        let http = try #require(server.http)

        let blocks = try Self.shellBlocks(of: "docs/wire-protocol-guide.md") + Self.shellBlocks(of: "docs/http-api.md")
        #expect(blocks.count > 20)
        let binaries = URL(fileURLWithPath: ConsoleTmuxTests.binary).deletingLastPathComponent().path
        let script = """
            set -euo pipefail
            set -x
            cd \(Self.repository.path)
            export PATH="\(binaries):$PATH" EDGESYNC_URL=\(http) EDGESYNC_DATA_DIR=\(directory.path) EDGESYNC_MQTT_PORT=\(mqtt)
            \(blocks.joined(separator: "\n"))
            """
        let scriptFile = directory.appendingPathComponent("guides.sh")
        try script.write(to: scriptFile, atomically: true, encoding: .utf8)
        let run = try await ProcessRunner.run("/bin/bash", [scriptFile.path], timeout: .seconds(120))
        #expect(
            run.status == 0,
            "a documented command failed (the last + line is the command):\n\(run.stderr.suffix(3_000))\n\(run.stdout.suffix(2_000))"
        )
        // What the guides promise the reader sees.
        for expected in [
            "staged", "duplicate", "envelope_unstripped_tenant_fields", "batch_rejected", "approved",
            "action_version_conflict",
            "operating_mode", "\"series\"", "flow_lpm", "eco", "validation_failed", "forbidden", "not_found", "OK",
        ] {
            #expect(run.stdout.contains(expected), "the guides' output lacks \(expected)")
        }
    }

    @Test func readmeShowsTheGoldens() throws {
        let readme = try String(contentsOf: Self.repository.appendingPathComponent("README.md"), encoding: .utf8)
        for golden in ["lineages-120x40", "column-editor-80x24"] {
            let lines = try String(
                contentsOf: Self.repository.appendingPathComponent("Screens/\(golden).txt"),
                encoding: .utf8
            )
            .split(separator: "\n", omittingEmptySubsequences: false).prefix(12).joined(separator: "\n")
            #expect(
                readme.contains(lines),
                "README's picture of \(golden) is stale: copy the first 12 lines of Screens/\(golden).txt"
            )
        }
    }

    @Test func shippedAgentConfigurationIsValid() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "edgesync-deploy-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let database = directory.appendingPathComponent("app.db").path
        let created = try await ProcessRunner.run(
            "/usr/bin/sqlite3",
            [
                database,
                "CREATE TABLE order_events (id INTEGER PRIMARY KEY, sku TEXT); "
                    + "CREATE TABLE device_state (id INTEGER PRIMARY KEY, mode TEXT); "
                    + "CREATE TABLE sensor_timeseries (ts TEXT NOT NULL, value REAL); "
                    + "CREATE TABLE scratch (id INTEGER PRIMARY KEY, note TEXT);",
            ]
        )
        #expect(created.status == 0, "\(created.stderr)")
        let agent = URL(fileURLWithPath: ConsoleTmuxTests.binary).deletingLastPathComponent().appendingPathComponent(
            "edge-agent"
        ).path
        let environment = try String(
            contentsOf: Self.repository.appendingPathComponent("deploy/edge-agent.env"),
            encoding: .utf8
        )
        .split(separator: "\n").filter { !$0.hasPrefix("#") && $0.contains("=") }.map(String.init)
        let check = try await ProcessRunner.run(
            "/usr/bin/env",
            environment + [
                agent, "check", "--config", Self.repository.appendingPathComponent("deploy/agent.yaml").path, "--db",
                database,
            ]
        )
        // Valid apart from the device's own files, which only a device has.
        let problems = check.stdout.split(separator: "\n").filter { $0.hasPrefix("! ") }
        #expect(
            !problems.isEmpty && problems.allSatisfy { $0.contains("/etc/edgesync/") && $0.contains("does not exist") },
            "\(check.stdout) \(check.stderr)"
        )
        #expect(check.stdout.contains("sensor_timeseries  telemetry"))
    }
}

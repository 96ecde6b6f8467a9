import Foundation
import TestSupport
import Testing

/// CLI mode (docs/spec/tui.md): the real binary against `platform-tui serve`, found through its data
/// directory, fed by `mosquitto_pub`; outputs in every format and the exit codes.
@Suite("CLI mode", .serialized)
struct CLITests {
    /// Usage errors are found before any request, so no server is needed.
    @Test func usageErrorsSayWhatIsWrong() async throws {
        func run(_ arguments: [String]) async throws -> ProcessRunner.Output {
            try await ProcessRunner.run(ConsoleTmuxTests.binary, arguments + ["--data-dir", "/nonexistent-edgesync"])
        }
        let mistyped = try await run(["lineage", "list"])
        #expect(mistyped.status == 2 && mistyped.stderr.contains("unknown subcommand lineage (subcommands: console"))
        for (arguments, accepted) in [
            (["lineages", "list", "--status", "pending"], "'active' and 'paused'"),
            (["reviews", "list", "--status", "pending"], "- open\n  - queued\n  - in_review"),
            (["batches", "list", "--outcome", "ok"], "'materialized', 'staged'"),
            (["devices", "credentials", "d", "--kind", "key"], "'password' and 'certificate'"),
            (["lineages", "list", "--sort", "name"], "'updated_at', 'staged' or 'device'"),
        ] {
            let output = try await run(arguments)
            #expect(output.status == 2 && output.stderr.contains(accepted), "\(arguments): \(output.stderr)")
        }
        let limits = try await run(["serve", "--mqtt-connect-timeout", "0", "--max-queued-controls", "0"])
        #expect(limits.status != 0, "\(limits.stderr)")
        #expect(limits.stderr.contains("--mqtt-connect-timeout must be at least 1, not 0"), "\(limits.stderr)")
        #expect(limits.stderr.contains("--max-queued-controls must be at least 1, not 0"), "\(limits.stderr)")
        let descending = try await run(["rows", "mirror", "l1", "--order", "-id"])
        #expect(descending.status == 1 && descending.stderr.contains("no_server"), "--order -id parses")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("actions-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(#"[{"source_column_name": "a", "action": "mirrorr"}]"#.utf8).write(to: file)
        let actions = try await run(["reviews", "approve", "r1", "--actions", file.path])
        #expect(actions.status == 1)
        #expect(actions.stderr.contains("read as a list of column actions: [0].action: not an accepted value: mirrorr"))
    }

    @Test func reviewLifecycleAndOutputs() async throws {
        try await Turns.heavyProcesses.run { try await self.reviewLifecycleAndOutputsSteps() }
    }

    func reviewLifecycleAndOutputsSteps() async throws {
        let server = try await ServeProcess.start()
        defer { Task { await server.process.stop() } }
        try await DeviceFeed.publish(try DeviceFeed.validRowBatch(), port: server.mqtt)
        try await DeviceFeed.publish(try DeviceFeed.secondRowBatch(), port: server.mqtt)

        var lineages: [[String: Any]] = []
        let deadline = ContinuousClock.now + hangDeadline
        while lineages.isEmpty || (lineages.first?["staged_row_count"] as? Int) != 4, ContinuousClock.now < deadline {
            lineages = try await server.json("lineages", "list") as? [[String: Any]] ?? []
        }
        let lineage = try #require(lineages.first?["id"] as? String)
        #expect(lineages.first?["status"] as? String == "paused")

        let table = try await server.cli("lineages", "list")
        #expect(table.status == 0)
        #expect(
            table.stdout.contains("ID") && table.stdout.contains("pump-7") && table.stdout.contains("device_state")
                && table.stdout.contains(lineage)
        )
        #expect(table.stdout.contains("page 1 of 1 · 1 in all"))
        let detail = try await server.cli("lineages", "get", lineage)
        #expect(
            detail.stdout.contains("Schema versions") && detail.stdout.contains("pending")
                && detail.stdout.contains("schema_review")
        )

        let staged = try await server.cli("rows", "staged", lineage, "--output", "jsonl")
        #expect(staged.stdout.split(separator: "\n").count == 4, "one line per staged row: \(staged.stdout)")

        let reviews = try await server.cli("reviews", "list", "--output", "jsonl")
        let lines = reviews.stdout.split(separator: "\n")
        #expect(lines.count == 1)
        let review = try #require(
            (try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])?["id"] as? String
        )
        let shown = try await server.cli("reviews", "get", review)
        #expect(
            shown.stdout.contains("Columns") && shown.stdout.contains("setpoint") && shown.stdout.contains("queued")
        )

        let approveEarly = try await server.cli("reviews", "approve", review, "--suggested")
        #expect(approveEarly.status == 1, "a queued review must be claimed first")
        #expect(approveEarly.stderr.contains("error: "))

        #expect(try await server.cli("reviews", "claim", review).status == 0)
        let actions = server.directory.appendingPathComponent("actions.json")
        try Data(
            #"""
            [{"source_column_name":"id","action":"mirror"},
             {"source_column_name":"mode","action":"mirror","mirror_column_name":"state"},
             {"source_column_name":"setpoint","action":"ignore"}]
            """#.utf8
        ).write(to: actions)
        let preview = try await server.cli("reviews", "preview", review, "--actions", actions.path)
        #expect(
            preview.status == 0 && preview.stdout.contains("CREATE TABLE")
                && preview.stdout.contains("Rows as they would land (first 4)") && preview.stdout.contains("STATE")
                && preview.stdout.contains("heating") && !preview.stdout.contains("SETPOINT"),
            "\(preview.stdout)"
        )
        let approved = try await server.json("reviews", "approve", review, "--actions", actions.path) as? [String: Any]
        #expect(approved?["status"] as? String == "approved")

        var mirrored: [Substring] = []
        let replayed = ContinuousClock.now + hangDeadline
        while mirrored.isEmpty, ContinuousClock.now < replayed {
            mirrored = try await server.cli("rows", "mirror", lineage, "--output", "jsonl").stdout.split(
                separator: "\n"
            )
        }
        #expect(mirrored.count == 1)
        #expect(
            mirrored.first?.contains(#""state":"heating""#) == true && mirrored.first?.contains("setpoint") == false
        )

        let events = try await server.cli(
            "events",
            "list",
            "--kind",
            "edge_schema_review.approved",
            "--output",
            "jsonl"
        )
        #expect(events.stdout.split(separator: "\n").count == 1)
    }

    @Test func devicesPolicyEventsAndExitCodes() async throws {
        try await Turns.heavyProcesses.run { try await self.devicesPolicyEventsAndExitCodesSteps() }
    }

    func devicesPolicyEventsAndExitCodesSteps() async throws {
        let server = try await ServeProcess.start()
        defer { Task { await server.process.stop() } }
        let watch = try ProcessRunner.start(
            ConsoleTmuxTests.binary,
            ["events", "watch", "--data-dir", server.directory.path, "--output", "jsonl"]
        )
        try await Task.sleep(for: .milliseconds(500))

        let created = try await server.json("devices", "create", "valve-9") as? [String: Any]
        #expect(created?["name"] as? String == "valve-9")
        #expect(try await server.cli("devices", "create", "bad name!").status == 1, "the API's 422")
        let password = try await server.cli("devices", "credentials", "valve-9")
        #expect(password.status == 0 && password.stdout.contains("password for valve-9 (shown once): es_"))
        let folder = server.directory.appendingPathComponent("valve-9-credentials")
        let certificate = try await server.cli(
            "devices",
            "credentials",
            "valve-9",
            "--kind",
            "certificate",
            "--out",
            folder.path
        )
        #expect(certificate.status == 0, "\(certificate.stderr)")
        let key = try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("valve-9.key").path)
        #expect((key[.posixPermissions] as? Int) == 0o600)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("ca.pem").path))
        let listed = try await server.cli("devices", "list")
        #expect(listed.stdout.contains("valve-9") && listed.stdout.contains("password,certificate"))

        let policy =
            try await server.json("policy", "set", "max_pending_rows_per_lineage=5000", "allow_additive_continue=true")
            as? [String: Any]
        #expect(
            policy?["max_pending_rows_per_lineage"] as? Int == 5000
                && policy?["allow_additive_continue"] as? Bool == true
        )
        let fleet =
            try await server.json("policy", "set", "--fleet", "default", "schema_coalescing_mode=fleet")
            as? [String: Any]
        #expect(
            fleet?["schema_coalescing_mode"] as? String == "fleet"
                && fleet?["max_pending_rows_per_lineage"] as? Int == 5000
        )
        #expect(
            (try await server.json("policy", "get") as? [String: Any])?["schema_coalescing_mode"] as? String
                == "per_device"
        )
        let shown = try await server.cli("policy", "get", "--fleet", "default")
        #expect(shown.stdout.contains("schema_coalescing_mode") && shown.stdout.contains("fleet"))

        // Exit codes: 1 error, 2 not found or usage.
        #expect(try await server.cli("policy", "set", "resume_threshold_percent=500").status == 1)
        #expect(try await server.cli("policy", "set", "no_such_field=1").status == 2)
        #expect(try await server.cli("policy", "get", "--fleet", "nope").status == 2)
        #expect(try await server.cli("lineages", "get", "nope").status == 2)
        #expect(try await server.cli("reviews", "get", "nope").status == 2)
        #expect(try await server.cli("devices", "credentials", "nope").status == 2)
        #expect(try await server.cli("reviews", "approve", "x").status == 2, "--actions or --suggested is required")
        #expect(try await server.cli("lineages", "list", "--no-such-flag").status == 2)
        #expect(try await server.cli("devices", "list", "--project", "default").stdout.contains("valve-9"))
        let noProject = try await server.cli("devices", "list", "--project", "nope")
        #expect(noProject.status == 2 && noProject.stderr.contains("no project nope (projects: default)"))
        let nowhere = try await ProcessRunner.run(
            ConsoleTmuxTests.binary,
            ["lineages", "list", "--data-dir", "/nonexistent-edgesync"]
        )
        #expect(nowhere.status == 1 && nowhere.stderr.contains("no_server"))
        let unreachable = try await ProcessRunner.run(
            ConsoleTmuxTests.binary,
            ["lineages", "list", "--server", "http://127.0.0.1:9", "--token", "x"]
        )
        #expect(unreachable.status == 1 && unreachable.stderr.contains("unreachable"))
        let badToken = try await ProcessRunner.run(
            ConsoleTmuxTests.binary,
            [
                "lineages", "list", "--server",
                try String(
                    contentsOf: server.directory.appendingPathComponent("http.url"),
                    encoding: .utf8
                ).trimmingCharacters(in: .whitespacesAndNewlines), "--token", "nope",
            ]
        )
        #expect(badToken.status == 1 && badToken.stderr.contains("unauthorized"))

        // The live stream printed what happened meanwhile, and Ctrl+C ends it cleanly.
        try await DeviceFeed.publish("not json", port: server.mqtt)
        let rejected = ContinuousClock.now + hangDeadline
        while !watch.output().stdout.contains("edge_batch.rejected"), ContinuousClock.now < rejected {
            try await Task.sleep(for: .milliseconds(50))
        }
        kill(watch.pid, SIGINT)
        let ended = await watch.wait(timeout: .seconds(10))
        #expect(ended.status == 0, "\(ended.stderr)")
        let line = try #require(ended.stdout.split(separator: "\n").first { $0.contains("edge_batch.rejected") })
        #expect(
            (try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["kind"] as? String
                == "edge_batch.rejected"
        )
    }
}

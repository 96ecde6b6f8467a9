import Foundation
import TestSupport
import Testing

/// The real `platform-tui` binary in `tmux`, on its embedded server, fed by `mosquitto_pub` as a
/// device; driven with keystrokes and read back with `capture-pane`.
@Suite("Console in tmux", .serialized)
struct ConsoleTmuxTests {
    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "platform-tui"
        ).path
    }

    struct Tmux {
        let socket = "edgesync-\(UUID().uuidString.prefix(8))"

        func run(_ arguments: [String]) async throws -> ProcessRunner.Output {
            try await ProcessRunner.run("tmux", ["-L", socket] + arguments)
        }

        func screen() async throws -> String {
            try await run(["capture-pane", "-p", "-t", "console"]).stdout
        }

        /// Waits until the screen contains every string (15 s).
        /// Waits until the screen shows every one of `texts` and none of `absent`.
        func waitFor(_ texts: [String], absent: [String] = []) async throws -> String {
            let deadline = ContinuousClock.now + hangDeadline
            var last = ""
            while ContinuousClock.now < deadline {
                last = try await screen()
                if texts.allSatisfy(last.contains), !absent.contains(where: last.contains) { return last }
                try await Task.sleep(for: .milliseconds(100))
            }
            Issue.record("the screen never showed \(texts) without \(absent):\n\(last)")
            return last
        }
    }

    @Test func aDeviceBatchAppearsAndKeysWork() async throws {
        try await Turns.heavyProcesses.run { try await self.aDeviceBatchAppearsAndKeysWorkSteps() }
    }

    func aDeviceBatchAppearsAndKeysWorkSteps() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "edgesync-tmux-\(UUID().uuidString)"
        )
        let port = try await freeTestPort()
        let tmux = Tmux()
        let started = try await tmux.run([
            "new-session", "-d", "-s", "console", "-x", "120", "-y", "40",
            "\(Self.binary) --data-dir \(directory.path) --http-port 0 --mqtt-port \(port) --dev-open",
        ])
        #expect(started.status == 0, "\(started.stderr)")
        _ = try await tmux.waitFor(["Lineages [0]", "connected", "q quit"])
        try await DeviceFeed.publish(try DeviceFeed.validRowBatch(), port: port)
        // A second batch leaves a row behind (the vector inserts, updates and deletes id 1).
        try await DeviceFeed.publish(try DeviceFeed.secondRowBatch(), port: port)
        _ = try await tmux.run(["send-keys", "-t", "console", "r"])
        let screen = try await tmux.waitFor([
            "pump-7", "device_state", "schema_review", "1 reviews queued", "0 active · 1 paused",
        ])
        #expect(!screen.contains("info"), "the embedded server logs to its file, not over the screen")
        // The approve flow with keys only: open the lineage, its review, claim, approve, then the written rows.
        func keys(_ keys: String...) async throws { _ = try await tmux.run(["send-keys", "-t", "console"] + keys) }
        try await keys("Enter")
        _ = try await tmux.waitFor(["Waiting for a schema review", "v review"])
        try await keys("v")
        _ = try await tmux.waitFor(["Review of pump-7/device_state", "queued", "c claim"])
        try await keys("c")
        _ = try await tmux.waitFor(["claimed", "in_review", "a approve suggested"])
        // The editor: a PK that is not mirrored is refused inline; rename `mode`, ignore `setpoint`.
        try await keys("e")
        _ = try await tmux.waitFor(["Column actions for device_state", "✓ ready", "CREATE TABLE"])
        try await keys("Space")
        _ = try await tmux.waitFor(["✗ pk_must_be_mirrored"])
        try await keys(
            "Left",
            "Down",
            "Enter",
            "BSpace",
            "BSpace",
            "BSpace",
            "BSpace",
            "s",
            "t",
            "a",
            "t",
            "e",
            "Enter",
            "Down",
            "Space"
        )
        // The keys go in one send: wait for the last one (setpoint ignored), not a state before it.
        _ = try await tmux.waitFor([
            "\"state\" TEXT", "added     ignore", "✓ ready", "Preview (sqlite, creates edge_mirror_",
        ])
        // The staged rows as they would land: mode under its new name, setpoint gone. The preview
        // of the actions before the ignore stays up until the server answers for the new ones.
        let landing = try await tmux.waitFor(
            [
                "Rows as they would land (first 4 of 4 staged)", "op     id   state", "update 1    cooling",
                "delete 1", "insert 2    heating",
            ],
            absent: ["20.5", "22.5"]
        )
        #expect(!landing.contains("20.5") && !landing.contains("22.5"), "\(landing)")
        try await keys("t")
        _ = try await tmux.waitFor(["cloud_authoritative"])
        try await keys("F2")
        _ = try await tmux.waitFor(["approved with 3 column actions", "approved"])
        try await keys("Escape")
        _ = try await tmux.waitFor(["Active: batches materialize", "W write back"])
        // Write-back: the key, then a value; Enter through the fields arms it, y sends.
        try await keys("W")
        _ = try await tmux.waitFor(["Write back one row of device_state", "id (key)"])
        try await keys("2", "Enter", "e", "c", "o", "Enter")
        _ = try await tmux.waitFor(["y sends"])
        try await keys("y")
        _ = try await tmux.waitFor(["wrote 1 row to device_state"])
        try await keys("w")
        _ = try await tmux.waitFor(["Written rows [1]", "source: mirror", "_device_id"])
        // Scroll sideways until the row's own columns show.
        var shown = try await tmux.screen()
        for _ in 0..<8 where !shown.contains("eco") {
            try await keys("l")
            try await Task.sleep(for: .milliseconds(300))
            shown = try await tmux.screen()
        }
        #expect(shown.contains("eco") && shown.contains("state") && !shown.contains("setpoint"), "\(shown)")
        try await keys("Enter")
        _ = try await tmux.waitFor(["\"state\": \"eco\"", "Enter or Esc back to the table"])
        try await keys("Escape")
        _ = try await tmux.waitFor(["columns from"])
        try await keys("Escape", "Escape")
        try await keys("f")
        _ = try await tmux.waitFor(["status: active", "device_state"])
        try await keys("/", "z", "z", "Enter")
        _ = try await tmux.waitFor(["No lineage matches \"zz\""])
        try await keys("/", "BSpace", "BSpace", "d", "e", "v", "Enter")
        _ = try await tmux.waitFor(["\"dev\"", "device_state"])
        try await keys("/", "BSpace", "BSpace", "BSpace", "Enter", "f", "f")
        try await keys(":", "r", "e", "v", "i", "e", "w", "s", "Enter")
        _ = try await tmux.waitFor(["Schema reviews [0] · status: open"])
        try await keys("f", "f", "f")
        _ = try await tmux.waitFor(["Schema reviews [1] · status: approved", "device_state", "unknown"])
        // Delete needs the table name typed, then y.
        try await keys(":", "l", "i", "n", "e", "a", "g", "e", "s", "Enter")
        _ = try await tmux.waitFor(["Lineages [1]"])
        try await keys("Enter")
        _ = try await tmux.waitFor(["D delete"])
        try await keys("D")
        _ = try await tmux.waitFor(["Type device_state to confirm"])
        try await keys("y", "Enter")
        _ = try await tmux.waitFor(["type it exactly"])
        try await keys("BSpace", "d", "e", "v", "i", "c", "e", "_", "s", "t", "a", "t", "e", "Enter")
        _ = try await tmux.waitFor(["y confirms"])
        try await keys("y")
        _ = try await tmux.waitFor(["lineage deleted", "Lineages [0]"])
        try await keys("?")
        _ = try await tmux.waitFor(["Keys: Lineages", "any key closes"])
        try await keys("x", ":", "d", "e", "v", "i", "c", "e", "s", "Enter")
        _ = try await tmux.waitFor(["Devices [1]", "pump-7"])
        try await keys("+", "v", "a", "l", "v", "e", "-", "9", "Enter", "y")
        _ = try await tmux.waitFor(["registered valve-9", "Devices [2]"])
        try await keys("P", "y")
        _ = try await tmux.waitFor(["password for valve-9 (shown once)"])
        try await keys(":", "p", "o", "l", "i", "c", "y", "Enter")
        _ = try await tmux.waitFor(["Project policy", "max_pending_rows_per_lineage", "100000"])
        try await keys("Down", "Enter")
        _ = try await tmux.waitFor(["edited: F2 saves"])
        try await keys("F2")
        _ = try await tmux.waitFor(["policy saved"])
        // The default fleet's policy follows the project's until it is saved on its own.
        try await keys("F")
        _ = try await tmux.waitFor(["Fleet default policy", "follows the project until saved"])
        try await keys(":", "r", "e", "g", "i", "s", "t", "r", "y", "Enter")
        _ = try await tmux.waitFor(["Schema registry [0]", "schema_coalescing_mode is project or fleet"])
        try await keys("v")
        _ = try await tmux.waitFor(["Registry reviews [0]"])
        try await keys(":", "e", "v", "e", "n", "t", "s", "Enter")
        _ = try await tmux.waitFor(["Events [", "● live", "edge_schema_review.approved"])
        // A rejected batch shows up while the screen is open (the SSE stream).
        try await DeviceFeed.publish("not json", port: port)
        _ = try await tmux.waitFor(["edge_batch.rejected", "invalid_json"])
        // The kind list, then one event in full.
        try await keys("f")
        _ = try await tmux.waitFor(["Event kind", "Enter filters · Esc cancels"])
        try await keys("Escape", "Enter")
        _ = try await tmux.waitFor(["Events › #", "message", "Enter/Esc back to the list"])
        try await keys("Escape")
        _ = try await tmux.waitFor(["DEVICE", "TABLE", "pump-7"])
        try await keys("L")
        _ = try await tmux.waitFor([
            "Action log [7]", "claim device review of pump-7/device_state",
            "approve device review of pump-7/device_state", "write back {\"id\":2} to pump-7/device_state",
            "delete lineage pump-7/device_state",
            "register device valve-9",
            "save the project policy",
        ])
        _ = try await tmux.run(["send-keys", "-t", "console", "q"])
        let deadline = ContinuousClock.now + hangDeadline
        while try await tmux.run(["has-session", "-t", "console"]).status == 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(
            try await tmux.run(["has-session", "-t", "console"]).status != 0,
            "q quits and stops the embedded server"
        )
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("server.log").path))
        _ = try? await tmux.run(["kill-server"])
    }

    @Test func ctrlCWithTheHelpOpenStopsTheDemoAndItsAgents() async throws {
        try await Turns.heavyProcesses.run { try await self.ctrlCWithTheHelpOpenStopsTheDemoAndItsAgentsSteps() }
    }

    func ctrlCWithTheHelpOpenStopsTheDemoAndItsAgentsSteps() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "edgesync-demo-\(UUID().uuidString)"
        )
        defer { try? FileManager.default.removeItem(at: directory) }
        let tmux = Tmux()
        let started = try await tmux.run([
            "new-session", "-d", "-s", "console", "-x", "120", "-y", "40",
            "\(Self.binary) demo --data-dir \(directory.path) --devices 2 --http-port 0 --mqtt-port 0",
        ])
        #expect(started.status == 0, "\(started.stderr)")
        _ = try await tmux.waitFor(["q quit"])
        let pattern = "edge-agent run --config \(directory.path)"
        let agents = { try await ProcessRunner.run("pgrep", ["-f", pattern]) }
        let running = ContinuousClock.now + hangDeadline
        while try await agents().stdout.split(separator: "\n").count < 2, ContinuousClock.now < running {
            try await Task.sleep(for: .milliseconds(100))
        }
        _ = try await tmux.run(["send-keys", "-t", "console", "?"])
        _ = try await tmux.run(["send-keys", "-t", "console", "C-c"])
        let deadline = ContinuousClock.now + hangDeadline
        while try await tmux.run(["has-session", "-t", "console"]).status == 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try await tmux.run(["has-session", "-t", "console"]).status != 0, "Ctrl+C quits like q")
        #expect(try await agents().stdout.isEmpty, "no edge-agent of the demo is left running")
        _ = try? await ProcessRunner.run("pkill", ["-f", pattern])
        _ = try? await tmux.run(["kill-server"])
    }
}

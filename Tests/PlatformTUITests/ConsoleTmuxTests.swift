import Foundation
import Testing
import TestSupport

/// The real `platform-tui` binary in `tmux`, on its embedded server, fed by `mosquitto_pub` as a
/// device; driven with keystrokes and read back with `capture-pane`.
@Suite("Console in tmux", .serialized)
struct ConsoleTmuxTests {
    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("platform-tui").path
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
        func waitFor(_ texts: [String]) async throws -> String {
            let deadline = ContinuousClock.now + .seconds(15)
            var last = ""
            while ContinuousClock.now < deadline {
                last = try await screen()
                if texts.allSatisfy(last.contains) { return last }
                try await Task.sleep(for: .milliseconds(100))
            }
            Issue.record("the screen never showed \(texts):\n\(last)")
            return last
        }
    }

    @Test func aDeviceBatchAppearsAndKeysWork() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("edgesync-tmux-\(UUID().uuidString)")
        let port = try await freeTestPort()
        let tmux = Tmux()
        let started = try await tmux.run([
            "new-session", "-d", "-s", "console", "-x", "120", "-y", "40",
            "\(Self.binary) --data-dir \(directory.path) --http-port 0 --mqtt-port \(port) --dev-open",
        ])
        #expect(started.status == 0, "\(started.stderr)")
        _ = try await tmux.waitFor(["Lineages [0]", "connected", "q quit"])
        let body = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/spec/vectors/payloads.json"), encoding: .utf8)
        let vector = try #require((try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]])?.first { $0["name"] as? String == "valid row batch" })
        let published = try await ProcessRunner.run("mosquitto_pub", [
            "-h", "127.0.0.1", "-p", String(port), "-V", "mqttv311", "-i", "pump-7", "-q", "1", "-t", "dev/pump-7/sync/rows/batch",
            "-m", vector["body"] as! String,
        ])
        #expect(published.status == 0, "\(published.stderr)")
        _ = try await tmux.run(["send-keys", "-t", "console", "r"])
        let screen = try await tmux.waitFor(["pump-7", "device_state", "schema_review", "1 reviews queued", "0 active · 1 paused"])
        #expect(!screen.contains("info"), "the embedded server logs to its file, not over the screen")
        _ = try await tmux.run(["send-keys", "-t", "console", "f"])
        _ = try await tmux.waitFor(["</active>", "No active lineages"])
        _ = try await tmux.run(["send-keys", "-t", "console", "q"])
        let deadline = ContinuousClock.now + .seconds(10)
        while try await tmux.run(["has-session", "-t", "console"]).status == 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try await tmux.run(["has-session", "-t", "console"]).status != 0, "q quits and stops the embedded server")
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("server.log").path))
        _ = try? await tmux.run(["kill-server"])
    }
}

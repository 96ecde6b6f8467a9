import Foundation
import TestSupport
import Testing

/// `platform-tui serve` in a fresh data directory, ready (its listeners print their lines).
struct ServeProcess {
    let directory: URL
    let process: ProcessRunner.Running
    let mqtt: Int

    /// `devOpen: false` when device credentials must be checked for real; `arguments` are more flags.
    static func start(devOpen: Bool = true, arguments: [String] = []) async throws -> ServeProcess {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "edgesync-serve-\(UUID().uuidString)"
        )
        let mqtt = try await freeTestPort()
        let store = try await TestStore.url().map { ["--store", $0] } ?? []
        let process = try ProcessRunner.start(
            ConsoleTmuxTests.binary,
            [
                "serve", "--data-dir", directory.path, "--http-port", "0", "--mqtt-port", String(mqtt),
            ] + store + (devOpen ? ["--dev-open"] : []) + arguments
        )
        let deadline = ContinuousClock.now + hangDeadline
        while !process.output().stdout.contains("mqtt: "), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(
            FileManager.default.fileExists(atPath: directory.appendingPathComponent("http.url").path),
            "serve leaves its URL for the CLI"
        )
        return ServeProcess(directory: directory, process: process, mqtt: mqtt)
    }

    /// The `http: …` ready line's URL.
    var http: String? {
        process.output().stdout.split(separator: "\n").first { $0.hasPrefix("http: ") }.map { String($0.dropFirst(6)) }
    }

    /// `platform-tui ARGS --data-dir DIR`.
    func cli(_ arguments: String...) async throws -> ProcessRunner.Output {
        try await ProcessRunner.run(ConsoleTmuxTests.binary, arguments + ["--data-dir", directory.path])
    }

    /// The `data` of a `--output json` answer.
    func json(_ arguments: String...) async throws -> Any {
        let output = try await ProcessRunner.run(
            ConsoleTmuxTests.binary,
            arguments + ["--data-dir", directory.path, "--output", "json"]
        )
        #expect(output.status == 0, "\(arguments): \(output.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any]
        return try #require(object?["data"])
    }
}

import Foundation

/// An `edge-agent run` process of the demo, its output in a log file next to its configuration.
final class AgentProcess: Sendable {
    let process: Process

    /// `edge-agent` next to this executable (both are products of the same build).
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("edge-agent")
    }

    init(configuration: URL, log: URL) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            throw DemoError.agentMissing(Self.binary.path)
        }
        if !FileManager.default.fileExists(atPath: log.path) { FileManager.default.createFile(atPath: log.path, contents: nil) }
        let output = try FileHandle(forWritingTo: log)
        output.seekToEndOfFile()
        // An agent left by a demo that was killed would keep publishing to a dead port.
        let pidFile = configuration.deletingLastPathComponent().appendingPathComponent("agent.pid")
        Self.stopLeftover(pidFile: pidFile, configuration: configuration)
        process = Process()
        process.executableURL = Self.binary
        process.arguments = ["run", "--config", configuration.path]
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? Data("\(process.processIdentifier)\n".utf8).write(to: pidFile)
    }

    /// SIGTERM to the process in `pidFile` if it is still an `edge-agent` on this configuration.
    static func stopLeftover(pidFile: URL, configuration: URL) {
        guard let text = try? String(contentsOf: pidFile, encoding: .utf8), let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)),
              let commandLine = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
              String(decoding: commandLine, as: UTF8.self).contains(configuration.path) else { return }
        kill(pid, SIGTERM)
        for _ in 0..<500 where kill(pid, 0) == 0 { usleep(10_000) }
    }

    /// SIGTERM (the agent stops cleanly), SIGKILL after 10 s.
    func stop() async {
        guard process.isRunning else { return }
        process.terminate()
        for _ in 0..<1_000 where process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

enum DemoError: Error, CustomStringConvertible {
    case agentMissing(String)

    var description: String {
        switch self {
        case .agentMissing(let path): "agent_missing: \(path) is not there; build both products with `swift build` (make demo does)"
        }
    }
}

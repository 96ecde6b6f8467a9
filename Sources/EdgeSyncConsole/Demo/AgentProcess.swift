import ChildProcess
import Foundation

/// An `edge-agent run` process of the demo, its output in a log file next to its configuration.
final class AgentProcess: Sendable {
    let process: ChildProcess

    /// `edge-agent` next to this executable (both are products of the same build).
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("edge-agent")
    }

    init(configuration: URL, log: URL) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            throw DemoError.agentMissing(Self.binary.path)
        }
        process = try ChildProcess.spawn(
            Self.binary.path,
            ["run", "--config", configuration.path],
            environment: ProcessInfo.processInfo.environment,
            standardOutput: .file(log.path, append: true),
            standardError: .file(log.path, append: true)
        )
        try? Data("\(process.pid)\n".utf8).write(to: Self.pidFile(configuration))
    }

    static func pidFile(_ configuration: URL) -> URL {
        configuration.deletingLastPathComponent().appendingPathComponent("agent.pid")
    }

    /// Agents left by a demo that was killed would keep publishing to a dead port: SIGTERM to
    /// every process named in the configurations' pid files that is still an `edge-agent` on
    /// that configuration, all at once, then wait (5 s at most) for them to go.
    static func stopLeftovers(_ configurations: [URL]) async {
        let leftovers = configurations.compactMap { configuration -> pid_t? in
            guard let text = try? String(contentsOf: pidFile(configuration), encoding: .utf8),
                let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                let commandLine = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
                String(decoding: commandLine, as: UTF8.self).contains(configuration.path)
            else { return nil }
            kill(pid, SIGTERM)
            return pid
        }
        for _ in 0..<500 where leftovers.contains(where: { kill($0, 0) == 0 }) {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// SIGTERM (the agent stops cleanly), SIGKILL after 10 s.
    func stop() async {
        await process.stop(grace: .seconds(10))
    }
}

enum DemoError: Error, CustomStringConvertible {
    case agentMissing(String)

    var description: String {
        switch self {
        case .agentMissing(let path):
            "agent_missing: \(path) is not there; build both products with `swift build` (make demo does)"
        }
    }
}

import ChildProcess
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs third-party peers (`mosquitto`, `mosquitto_pub`, `openssl`) as real processes.
///
/// Started as a `ChildProcess`: with an empty signal mask (`mosquitto_sub -W` needs its SIGALRM),
/// and holding none of the test process's sockets.
public struct ProcessRunner {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    public enum Failure: Error, CustomStringConvertible {
        case notInstalled(String)
        case spawnFailed(String, Int32)
        case timedOut(String)

        public var description: String {
            switch self {
            case .notInstalled(let name): "\(name) is not installed: run `make deps`"
            case .spawnFailed(let name, let code): "could not start \(name): errno \(code)"
            case .timedOut(let command): "timed out: \(command)"
            }
        }
    }

    public static func locate(_ name: String) throws -> String {
        if name.hasPrefix("/") {
            guard FileManager.default.isExecutableFile(atPath: name) else { throw Failure.notInstalled(name) }
            return name
        }
        for directory in ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"] {
            let path = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw Failure.notInstalled(name)
    }

    /// Runs to completion and returns status and output; kills the process and throws after `timeout`.
    public static func run(
        _ name: String,
        _ arguments: [String],
        environment: [String: String] = [:],
        timeout: Duration = hangDeadline
    ) async throws -> Output {
        let running = try start(name, arguments, environment: environment)
        let output = await running.wait(timeout: timeout)
        if running.timedOut { throw Failure.timedOut(([name] + arguments).joined(separator: " ")) }
        return output
    }

    /// A started process whose output goes to files (no pipe can fill up and block it).
    public final class Running: Sendable {
        let child: ChildProcess
        let directory: URL
        private let timedOutFlag = Atomic<Bool>(false)

        init(_ child: ChildProcess, directory: URL) {
            self.child = child
            self.directory = directory
        }

        public var pid: pid_t { child.pid }

        public var timedOut: Bool { timedOutFlag.load(ordering: .relaxed) }

        /// Reaps the process if it has exited; its status (exit code, or 128 + signal).
        public func poll() -> Int32? { child.poll() }

        public var isRunning: Bool { poll() == nil }

        public func output() -> Output {
            Output(
                status: poll() ?? -1,
                stdout: (try? String(contentsOf: directory.appendingPathComponent("stdout"), encoding: .utf8)) ?? "",
                stderr: (try? String(contentsOf: directory.appendingPathComponent("stderr"), encoding: .utf8)) ?? ""
            )
        }

        /// Waits for exit; after `timeout` sends SIGTERM, then SIGKILL.
        public func wait(timeout: Duration) async -> Output {
            let deadline = ContinuousClock.now + timeout
            while isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
            if isRunning {
                timedOutFlag.store(true, ordering: .relaxed)
                await stop()
            }
            return output()
        }

        /// SIGTERM, then SIGKILL if it is still alive after a second.
        public func stop() async { await child.stop(grace: .seconds(1)) }

        /// SIGKILL at once: a crash, as a power cut would cause.
        public func kill9() async { await child.kill9() }
    }

    /// The test process's environment without the line buffering `scripts/test-with-watchdog`
    /// gives it (`stdbuf` preloads a library): that is for the test's own output, and a peer
    /// would carry a library a device does not have.
    static func inheritedEnvironment() -> [String: String] {
        var variables = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("_STDBUF_") }
        let preload = variables["LD_PRELOAD", default: ""].split(whereSeparator: { $0 == ":" || $0 == " " })
            .filter { !$0.hasSuffix("/libstdbuf.so") }
        variables["LD_PRELOAD"] = preload.isEmpty ? nil : preload.joined(separator: ":")
        return variables
    }

    /// Starts `name`; its output goes to files of its own, or stderr to `standardError` (say
    /// `/dev/full`) when given.
    public static func start(
        _ name: String,
        _ arguments: [String],
        environment: [String: String] = [:],
        standardError: String? = nil
    ) throws -> Running {
        let path = try locate(name)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "edgesync-proc-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)

        var variables = inheritedEnvironment()
        variables.merge(environment) { $1 }
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(
                path,
                arguments,
                environment: variables,
                standardOutput: .file(directory.appendingPathComponent("stdout").path, append: false),
                standardError: .file(standardError ?? directory.appendingPathComponent("stderr").path, append: true)
            )
        } catch let failure as ChildProcess.SpawnFailure {
            throw Failure.spawnFailed(name, failure.code)
        }
        return Running(child, directory: directory)
    }
}

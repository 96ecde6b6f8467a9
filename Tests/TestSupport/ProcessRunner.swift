import CSpawn
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs third-party peers (`mosquitto`, `mosquitto_pub`, `openssl`) as real processes.
///
/// Spawned with `posix_spawn` and an explicitly empty signal mask and default dispositions:
/// Swift's concurrency threads block signals and children inherit that mask, which would leave a
/// peer deaf to SIGTERM and to its own timers (`mosquitto_sub -W` uses SIGALRM).
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
    public final class Running: @unchecked Sendable {
        public let pid: pid_t
        let directory: URL
        private let lock = NSLock()
        private var exitStatus: Int32?
        public private(set) var timedOut = false

        init(pid: pid_t, directory: URL) {
            self.pid = pid
            self.directory = directory
        }

        /// Reaps the process if it has exited; its status (exit code, or 128 + signal).
        public func poll() -> Int32? {
            lock.lock()
            defer { lock.unlock() }
            if let exitStatus { return exitStatus }
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            // No such child: reaped elsewhere, so gone; its status is lost. Waiting on would never end.
            if reaped == -1, errno == ECHILD {
                exitStatus = -1
                return exitStatus
            }
            guard reaped == pid else { return nil }
            let signal = status & 0x7F
            exitStatus = signal == 0 ? (status >> 8) & 0xFF : 128 + signal
            return exitStatus
        }

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
                timedOut = true
                await stop()
            }
            return output()
        }

        /// SIGTERM, then SIGKILL if it is still alive after a second.
        public func stop() async {
            guard isRunning else { return }
            kill(pid, SIGTERM)
            for _ in 0..<100 where isRunning { try? await Task.sleep(for: .milliseconds(10)) }
            if isRunning { kill(pid, SIGKILL) }
            while isRunning { try? await Task.sleep(for: .milliseconds(5)) }
        }

        /// SIGKILL at once: a crash, as a power cut would cause.
        public func kill9() async {
            kill(pid, SIGKILL)
            while isRunning { try? await Task.sleep(for: .milliseconds(5)) }
        }
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

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(
            &actions,
            1,
            directory.appendingPathComponent("stdout").path,
            O_WRONLY | O_CREAT | O_TRUNC,
            0o644
        )
        posix_spawn_file_actions_addopen(
            &actions,
            2,
            standardError ?? directory.appendingPathComponent("stderr").path,
            standardError == nil ? O_WRONLY | O_CREAT | O_TRUNC : O_WRONLY,
            0o644
        )
        // The child must not inherit the test's sockets: a connection the test closes would stay
        // open in the child, and the peer would never see it end; a port a test probed and let go
        // would stay bound. NIO's sockets are not close-on-exec, so they are closed in the child,
        // all of them: a list taken here would miss one opened on another thread before the spawn.
        let closing = edgesync_spawn_close_from(&actions, 3)
        guard closing == 0 else { throw Failure.spawnFailed(name, closing) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var variables = inheritedEnvironment()
        variables.merge(environment) { $1 }
        let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for variable in envp { free(variable) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard result == 0 else { throw Failure.spawnFailed(name, result) }
        return Running(pid: pid, directory: directory)
    }
}

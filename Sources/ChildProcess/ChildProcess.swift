import CSpawn
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A process started with `posix_spawn`, for the parts that run other programs (the console's
/// demo runs `edge-agent`s beside its embedded server).
///
/// The child gets an empty signal mask and default dispositions: Swift's concurrency threads block
/// signals and a child inherits that mask, which would leave it deaf to SIGTERM and to its own
/// timers. It inherits no descriptor beyond standard input, output and error, closed in the child:
/// NIO's sockets are not close-on-exec, and one a server accepted while the child started would stay
/// open in it, so a connection the server closes would not end for its peer.
public final class ChildProcess: Sendable {
    /// Where a standard stream of the child goes: a file, created if missing, emptied first
    /// unless `append`.
    public struct Destination: Sendable {
        public var path: String
        public var append: Bool

        public static func file(_ path: String, append: Bool) -> Destination {
            Destination(path: path, append: append)
        }
    }

    /// `posix_spawn` or one of its file actions failed.
    public struct SpawnFailure: Error, CustomStringConvertible {
        public var path: String
        public var code: Int32

        public var description: String { "could not start \(path): \(String(cString: strerror(code)))" }
    }

    public let pid: pid_t
    private let exitStatus = Mutex<Int32?>(nil)

    private init(pid: pid_t) {
        self.pid = pid
    }

    /// Starts `path` with `arguments` and exactly `environment`; standard input is `/dev/null`.
    public static func spawn(
        _ path: String,
        _ arguments: [String],
        environment: [String: String],
        standardOutput: Destination,
        standardError: Destination
    ) throws -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var failed = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        for (descriptor, destination) in [(Int32(1), standardOutput), (2, standardError)] where failed == 0 {
            let flags = O_WRONLY | O_CREAT | (destination.append ? O_APPEND : O_TRUNC)
            failed = posix_spawn_file_actions_addopen(&actions, descriptor, destination.path, flags, 0o644)
        }
        if failed == 0 { failed = edgesync_spawn_close_from(&actions, 3) }
        guard failed == 0 else { throw SpawnFailure(path: path, code: failed) }

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
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for variable in envp { free(variable) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard result == 0 else { throw SpawnFailure(path: path, code: result) }
        return ChildProcess(pid: pid)
    }

    /// Reaps the process if it has exited; its status (exit code, or 128 + signal).
    public func poll() -> Int32? {
        exitStatus.withLock { exitStatus in
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
    }

    public var isRunning: Bool { poll() == nil }

    /// SIGTERM, then SIGKILL if it is still alive after `grace`; returns once it is reaped.
    public func stop(grace: Duration) async {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        await kill9()
    }

    /// SIGKILL at once (a crash, as a power cut would cause); returns once it is reaped.
    public func kill9() async {
        guard isRunning else { return }
        kill(pid, SIGKILL)
        while isRunning { try? await Task.sleep(for: .milliseconds(5)) }
    }
}

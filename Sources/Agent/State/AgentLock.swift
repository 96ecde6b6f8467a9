#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive lock on `<state_db_path>.lock` that a running agent holds for its lifetime, so a
/// second agent on the same database, or `uninstall`, can tell that one is running. The kernel
/// releases it when the process ends, however it ends.
final class AgentLock {
    private let descriptor: Int32

    struct Held: Error, CustomStringConvertible {
        var path: String
        var holder: String
        var description: String { "another edge-agent (\(holder)) is running on this database (lock \(path))" }
    }

    static func path(forState state: String) -> String { state + ".lock" }

    /// Takes the lock, or throws `Held` naming the holder's pid.
    init(statePath: String) throws {
        let path = Self.path(forState: statePath)
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Held(path: path, holder: "cannot open the lock file: errno \(errno)") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
            close(descriptor)
            let pid = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self).filter(\.isNumber)
            throw Held(path: path, holder: pid.isEmpty ? "pid unknown" : "pid \(pid)")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

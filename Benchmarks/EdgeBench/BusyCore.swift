import Foundation

/// A loaded machine, as the goals mean it: one core kept busy by `yes > /dev/null`, a process of
/// its own that the scheduler shares out like any other.
enum BusyCore {
    static func whileRunning<T>(_ body: () async throws -> T) async throws -> T {
        let yes = Process()
        yes.executableURL = URL(fileURLWithPath: "/usr/bin/yes")
        yes.standardOutput = FileHandle.nullDevice
        try yes.run()
        defer {
            // SIGKILL: a child spawned from a concurrency thread inherits its blocked SIGTERM.
            kill(yes.processIdentifier, SIGKILL)
            yes.waitUntilExit()
        }
        return try await body()
    }
}

import Foundation
import Server
import TestSupport
import Testing

@Suite("The scheduler slice of platform-tui serve")
struct ServeSchedulerSliceTests {
    /// Linux reads a normal thread's slice from `sched_setattr` since 6.12.
    static let kernelTakesSlices = ProcessInfo.processInfo.isOperatingSystemAtLeast(
        OperatingSystemVersion(majorVersion: 6, minorVersion: 12, patchVersion: 0)
    )

    @Test(.enabled(if: kernelTakesSlices)) func everyThreadOfTheServerAsksForIt() async throws {
        try await Turns.heavyProcesses.run {
            let asked = try await Self.slices(["--scheduler-slice-us", "300"])
            #expect(asked.count >= 4, "the event loops, the writer and the task pool are running")
            #expect(asked.allSatisfy { $0 == .microseconds(300) }, "\(asked)")
            let kernels = try await Self.slices(["--scheduler-slice-us", "0"])
            #expect(!kernels.isEmpty && kernels.allSatisfy { $0 != .microseconds(300) }, "\(kernels)")
        }
    }

    /// The slices of a serving server's threads, after a batch went through them all.
    private static func slices(_ arguments: [String]) async throws -> [Duration] {
        let server = try await ServeProcess.start(arguments: arguments)
        defer { Task { await server.process.stop() } }
        try await DeviceFeed.publish(try DeviceFeed.validRowBatch(), port: server.mqtt)
        let threads = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(server.process.pid)/task")
        // A thread that ended meanwhile has no slice to read.
        return threads.compactMap { pid_t($0) }.compactMap { SchedulerSlice.slice(ofThread: $0) }
    }
}

import Foundation
import TestSupport
import Testing

@testable import Agent

/// systemd's notification protocol as a service manager sees it: a datagram socket that
/// receives what the agent says (`NOTIFY_SOCKET`), from the notifier alone and from the real
/// `edge-agent` process.
@Suite("systemd notifications", .serialized)
struct ServiceNotifierTests {
    /// A bound Unix datagram socket standing for the service manager's.
    final class ServiceManagerSocket {
        let path: String
        let descriptor: Int32

        init() throws {
            path =
                FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString.prefix(8))")
                .path
            descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            try #require(bound == 0, "bind: errno \(errno)")
            // A receive gives up after 200 ms, so that a wait can check its deadline.
            var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        deinit {
            close(descriptor)
            unlink(path)
        }

        /// The next datagram, or nil when none came within `seconds`.
        func receive(within seconds: Int = 30) -> String? {
            let deadline = ContinuousClock.now + .seconds(seconds)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while ContinuousClock.now < deadline {
                let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                if count > 0 { return String(decoding: buffer[..<count], as: UTF8.self) }
            }
            return nil
        }
    }

    @Test func readyKeepAlivesAtHalfTheIntervalAndStopping() throws {
        let manager = try ServiceManagerSocket()
        var notifier = ServiceNotifier(socketPath: manager.path, watchdogMicroseconds: 1_000_000)
        notifier.ready(status: "capturing 2 tables")
        #expect(manager.receive() == "READY=1\nSTATUS=capturing 2 tables")
        let start = ContinuousClock.now
        notifier.keepAlive(now: start)
        notifier.keepAlive(now: start + .milliseconds(100))
        notifier.keepAlive(now: start + .milliseconds(600))
        #expect(manager.receive() == "WATCHDOG=1")
        #expect(manager.receive() == "WATCHDOG=1", "the second one, 600 ms later; none at 100 ms")
        notifier.stopping()
        #expect(manager.receive() == "STOPPING=1")
        // Not under systemd, or watchdog off: nothing is sent and nothing fails.
        var outside = ServiceNotifier(socketPath: nil, watchdogMicroseconds: nil)
        outside.ready(status: "x")
        outside.keepAlive()
        #expect(manager.receive(within: 1) == nil)
    }

    /// The real agent under a service manager: READY=1 once its capture is installed, keep-alives
    /// while it runs, STOPPING=1 on SIGTERM.
    @Test func theAgentProcessNotifiesReadyWatchdogAndStopping() async throws {
        try await Turns.heavyProcesses.run {
            let harness = try await AgentHarness()
            let manager = try ServiceManagerSocket()
            let agent = try await harness.startProcess(
                try harness.processConfiguration(),
                environment: ["NOTIFY_SOCKET": manager.path, "WATCHDOG_USEC": "400000"]
            )
            #expect(manager.receive()?.hasPrefix("READY=1\nSTATUS=capturing ") == true)
            #expect(manager.receive() == "WATCHDOG=1")
            #expect(manager.receive() == "WATCHDOG=1")
            await agent.stop()
            var last: String?
            while let message = manager.receive(within: 2) { last = message }
            #expect(last == "STOPPING=1", "\(agent.output().stderr)")
            await harness.stop()
        }
    }

    /// The shipped unit is hardened: `systemd-analyze security` rates its exposure at most 3.0
    /// (its `--threshold` is ten times that), as the service manager would run it.
    @Test func theUnitFileIsHardened() async throws {
        let unit = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("deploy/edge-agent.service").path
        let analysis = try await ProcessRunner.run(
            "systemd-analyze",
            ["security", "--offline=true", "--threshold=30", "--no-pager", unit]
        )
        #expect(analysis.status == 0, "\(analysis.stdout)\(analysis.stderr)")
        #expect(analysis.stdout.contains("Overall exposure level for edge-agent.service"), "\(analysis.stdout)")
        let text = try String(contentsOfFile: unit, encoding: .utf8)
        for setting in ["Type=notify", "WatchdogSec=", "MemoryMax=", "ProtectSystem=strict", "ReadWritePaths="] {
            #expect(text.contains(setting), "\(setting)")
        }
    }
}

import EdgeSyncModels
import Foundation
import TestSupport
import Testing

@testable import Agent

/// The device's tarball (`scripts/agent-dist`, packed by `make test` before the tests into the
/// directory `EDGESYNC_AGENT_DIST` names): unpacked into an empty directory, its agent needs only a base system's
/// C libraries and mirrors a table to a real server from there.
@Suite(
    "Agent release artifact",
    .serialized,
    .enabled(if: ProcessInfo.processInfo.environment["EDGESYNC_AGENT_DIST"] != nil, "make test packs the tarball")
)
struct AgentDistTests {
    static let baseLibraries = [
        "linux-vdso", "ld-linux", "libc", "libm", "libstdc++", "libgcc_s", "libsqlite3", "libzstd",
    ]

    @Test func theUnpackedTarballRunsAgainstTheServer() async throws {
        try await Turns.heavyProcesses.run { try await self.unpackAndRun() }
    }

    func unpackAndRun() async throws {
        let directory = try #require(ProcessInfo.processInfo.environment["EDGESYNC_AGENT_DIST"])
        let packed = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".tar.gz") }
        try #require(packed.count == 1, "one tarball in \(directory): \(packed)")
        let tarball = directory + "/" + packed[0]
        let harness = try await AgentHarness()
        let unpacked = harness.directory.appendingPathComponent("unpacked")
        try FileManager.default.createDirectory(at: unpacked, withIntermediateDirectories: true)
        let tar = try await ProcessRunner.run("tar", ["-xzf", tarball, "-C", unpacked.path])
        #expect(tar.status == 0, "\(tar.stderr)")
        let name = URL(fileURLWithPath: tarball).lastPathComponent.replacingOccurrences(of: ".tar.gz", with: "")
        #expect(name.hasPrefix("edge-agent-\(EdgeSyncVersion.string)-linux-"))
        let root = unpacked.appendingPathComponent(name)
        let files = try FileManager.default.contentsOfDirectory(atPath: root.path).sorted()
        #expect(files == ["README.md", "agent.yaml", "edge-agent", "edge-agent.env", "edge-agent.service"])
        let binary = root.appendingPathComponent("edge-agent").path

        let ldd = try await ProcessRunner.run("ldd", [binary])
        let libraries = ldd.stdout.split(separator: "\n").compactMap { $0.split(whereSeparator: \.isWhitespace).first }
            .map {
                String($0.split(separator: "/").last ?? $0)
            }
        let foreign = libraries.filter { library in
            !Self.baseLibraries.contains { library.hasPrefix($0 + ".so") || library.hasPrefix($0 + "-") }
        }
        #expect(!libraries.isEmpty && foreign.isEmpty, "beyond a base system: \(foreign)")

        let version = try await ProcessRunner.run(binary, ["--version"])
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == EdgeSyncVersion.string)
        // The sample reads to its end: only its database is not on this machine.
        let sample = try await ProcessRunner.run(
            binary,
            ["check", "--config", root.appendingPathComponent("agent.yaml").path]
        )
        #expect(sample.status != 0 && sample.stderr.contains("source_db_path: /var/lib/app/app.db does not exist"))

        let config = try harness.processConfiguration(extra: "  snapshot_on_first_run: true")
        try await AgentServerTests.write(harness, from: 1, count: 20)
        let agent = try ProcessRunner.start(binary, ["run", "--config", config])
        let lineage = try await harness.waitFor { try await harness.lineage("device_state") }
        #expect(lineage != nil, "the agent from the tarball reached the server: \(agent.output().stderr)")
        try await harness.approve("device_state")
        try await AgentServerTests.write(harness, from: 21, count: 10)
        #expect(try await harness.waitForConvergence(timeout: .seconds(60)))
        await agent.stop()
        await harness.stop()
    }
}

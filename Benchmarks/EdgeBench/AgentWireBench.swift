import EdgeSyncModels
import Foundation
import GRDB
import Server

/// What the agent costs the network and the flash: bytes on the wire per 10,000 rows with zstd
/// batches against the same rows as JSON, and the agent process's fsync/fdatasync calls per
/// 10,000 rows (counted by strace) against the application's own commits.
enum AgentWireBench {
    static let rows = 20_000

    /// One run's totals.
    struct Run {
        var wireBytes: Int
        /// nil without strace.
        var syncs: Int?
    }

    static func run(_ report: BenchReport) async throws {
        let strace = ["/usr/bin/strace", "/bin/strace"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let compressed = try await measure(compression: "zstd", strace: strace)
        let plain = try await measure(compression: "none", strace: strace)
        let perTenThousand = { (value: Int) in Double(value) * 10_000 / Double(rows) }
        report.add(
            Figure(
                section: "Capture",
                name: "edge-agent: bytes on the wire per 10,000 rows (zstd batches)",
                value: perTenThousand(compressed.wireBytes),
                unit: "bytes",
                reference: "the same rows as JSON batches (compression: none)",
                referenceValue: perTenThousand(plain.wireBytes),
                higherIsBetter: false,
                note: "\(rows.formatted()) rows in transactions of 100; flush_interval 200 ms"
            )
        )
        guard let syncs = compressed.syncs else {
            print("capture: strace is not installed; fsyncs per 10,000 rows skipped")
            return
        }
        report.add(
            Figure(
                section: "Capture",
                name: "edge-agent: fsync and fdatasync calls per 10,000 rows",
                value: perTenThousand(syncs),
                unit: "calls",
                reference: "the application's own commits of those rows",
                referenceValue: perTenThousand(rows / 100),
                higherIsBetter: false,
                note:
                    "the agent process under strace; \(plain.syncs.map { perTenThousand($0) }.map { Int($0) } ?? 0) with JSON batches"
            )
        )
    }

    /// An application writing `rows` rows with the agent beside it, until the server staged them.
    static func measure(compression: String, strace: String?) async throws -> Run {
        let directory = ServerBench.temporaryDirectory("wire-\(compression)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (server, mqtt) = try await ServerBench.quietServer(in: directory.appendingPathComponent("server"))
        var settings = Configuration()
        settings.busyMode = .timeout(10)
        let app = try DatabasePool(path: directory.appendingPathComponent("app.db").path, configuration: settings)
        try await app.write { try $0.execute(sql: AgentBench.schema) }
        let config = directory.appendingPathComponent("agent.yaml")
        try """
        connection: {server_url: "\(mqtt)", device_id: wire-\(compression), mqtt: {compression: \(compression)}}
        sqlite-replication: {source_db_path: \(directory.appendingPathComponent("app.db").path), flush_interval: 200ms}
        """.write(to: config, atomically: true, encoding: .utf8)
        let counts = directory.appendingPathComponent("syscalls.txt")
        let agent = Process()
        let command = ["run", "--config", config.path]
        if let strace {
            agent.executableURL = URL(fileURLWithPath: strace)
            agent.arguments =
                [
                    "-f", "-qq", "--seccomp-bpf", "-e", "trace=fsync,fdatasync", "-c", "-o", counts.path,
                    AgentBench.binary,
                ]
                + command
        } else {
            agent.executableURL = URL(fileURLWithPath: AgentBench.binary)
            agent.arguments = command
        }
        agent.standardOutput = FileHandle.nullDevice
        agent.standardError = FileHandle.nullDevice
        try agent.run()
        try await AgentBench.waitForCapture(app)
        _ = try AgentBench.insertRate(app, rows: rows)
        var lineage: Lineage?
        while lineage?.stagedRowCount != Int64(rows) {
            try await Task.sleep(for: .milliseconds(50))
            lineage = try await server.store.lineages(
                projectID: server.tenancy.project.id,
                filter: LineageFilter(),
                page: PageRequest()
            ).items.first
        }
        stop(agent, traced: strace != nil)
        var filter = BatchFilter()
        filter.lineageID = lineage?.id
        var wireBytes = 0
        var page = 1
        while true {
            let entries = try await server.store.batches(
                projectID: server.tenancy.project.id,
                filter: filter,
                page: PageRequest(page: page, limit: PageRequest.maximumLimit)
            ).items
            wireBytes += entries.reduce(0) { $0 + $1.bytes }
            guard entries.count == PageRequest.maximumLimit else { break }
            page += 1
        }
        await server.stop()
        return Run(wireBytes: wireBytes, syncs: strace == nil ? nil : try syncCalls(in: counts))
    }

    /// SIGTERM to the agent; under strace to strace's child, the agent (strace, started from a
    /// Swift thread, inherits a mask that blocks SIGTERM), and strace ends with it.
    static func stop(_ process: Process, traced: Bool) {
        let pid = process.processIdentifier
        let children = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        let agents = traced ? children.split(separator: " ").compactMap { Int32($0) } : [pid]
        for agent in agents { kill(agent, SIGTERM) }
        process.waitUntilExit()
    }

    /// The calls column of strace's `-c` summary for fsync and fdatasync.
    static func syncCalls(in file: URL) throws -> Int {
        try String(contentsOf: file, encoding: .utf8).split(separator: "\n").reduce(0) { total, line in
            let fields = line.split(separator: " ")
            guard let name = fields.last, name == "fsync" || name == "fdatasync", fields.count >= 5,
                let calls = Int(fields[3])
            else { return total }
            return total + calls
        }
    }
}

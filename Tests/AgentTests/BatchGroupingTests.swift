import EdgeSyncModels
import Foundation
import GRDB
import TestSupport
import Testing

@testable import Agent
@testable import Server

/// Under a steady write load the agent groups rows: a partial batch goes out once per
/// `flush_interval`, so batches (each a transaction and an fsync on the device and the server)
/// follow the interval, not the application's write rate.
@Suite("Agent batch grouping", .serialized)
struct BatchGroupingTests {
    @Test func aSteadyWriteLoadGoesOutInFewLargeBatches() async throws {
        let harness = try await AgentHarness()
        harness.configuration.flushInterval = .milliseconds(500)
        let (_, task) = try await harness.startAgent()
        try await AgentServerTests.write(harness, from: 1, count: 1)
        try await harness.approve("device_state")
        #expect(try await harness.waitForConvergence())
        let lineage = try #require(try await harness.lineage("device_state"))
        var filter = BatchFilter()
        filter.lineageID = lineage.id
        let before = try await harness.store.batches(projectID: harness.projectID, filter: filter, page: PageRequest())
            .total
        // 100 small transactions, 10 rows each, one every 20 ms: ~2 s of writes.
        let started = ContinuousClock.now
        for round in 0..<100 {
            try await harness.app.write { db in
                for id in (1_000 + round * 10)..<(1_010 + round * 10) {
                    try db.execute(sql: "INSERT INTO device_state (id, mode) VALUES (?, 'load')", arguments: [id])
                }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let writing = ContinuousClock.now - started
        #expect(try await harness.waitForConvergence())
        let batches =
            try await harness.store.batches(projectID: harness.projectID, filter: filter, page: PageRequest()).total
            - before
        // One partial batch per interval (plus the last one after the writes); without grouping
        // the rows written while a batch was on its way went out in batches of their own.
        let intervals = Int((writing / .milliseconds(500)).rounded(.up))
        #expect(batches >= 1 && batches <= intervals + 2, "\(batches) batches for 1,000 rows in \(writing)")
        task.cancel()
        _ = try? await task.value
        await harness.stop()
    }

    /// The server's hello lists zstd: the agent's batches go compressed (the ledger counts the
    /// bytes received), and their rows arrive as sent.
    @Test func batchesGoCompressedToAServerThatAcceptsZstd() async throws {
        let harness = try await AgentHarness()
        let (agent, task) = try await harness.startAgent()
        let hello = try await harness.waitFor { await agent.contentEncodings == [.zstd] ? true : nil }
        #expect(hello == true, "the server's hello reached the agent")
        try await AgentServerTests.write(harness, from: 1, count: 300)
        let staged = try await harness.waitFor { () -> Lineage? in
            guard let lineage = try await harness.lineage("device_state"), lineage.stagedRowCount == 300 else {
                return nil
            }
            return lineage
        }
        let lineage = try #require(staged)
        var filter = BatchFilter()
        filter.lineageID = lineage.id
        let entries = try await harness.store.batches(projectID: harness.projectID, filter: filter, page: PageRequest())
            .items
        let (rows, bytes) = entries.reduce((0, 0)) { ($0.0 + $1.rowCount, $0.1 + $1.bytes) }
        // As JSON each of these rows takes over 100 bytes (a 17-digit REAL, a blob in hex, the key twice).
        #expect(rows == 300 && bytes < rows * 50, "\(bytes) bytes for \(rows) rows")
        #expect(try await harness.sourceRows().count == 300)
        task.cancel()
        _ = try? await task.value
        await harness.stop()
    }
}

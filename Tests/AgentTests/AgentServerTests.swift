import EdgeSyncModels
import Foundation
import GRDB
import Testing

@testable import Agent
@testable import Server

/// The agent against the real governance server over a socket.
@Suite("Agent ⇄ server", .serialized)
struct AgentServerTests {
    static func write(_ harness: AgentHarness, from: Int, count: Int) async throws {
        try await harness.app.write { db in
            for id in from..<(from + count) {
                try db.execute(
                    sql: "INSERT INTO device_state (id, mode, level, raw) VALUES (?, ?, ?, ?)",
                    arguments: [id, "m\(id)", Double(id) / 3, Data([UInt8(id % 256), 0xAB])]
                )
            }
            try db.execute(
                sql: "INSERT INTO sensor_timeseries VALUES (?, ?, 'C')",
                arguments: ["2026-11-25T06:00:\(String(format: "%02d", from % 60))Z", Double(from) + 0.5]
            )
        }
    }

    @Test func changesFlowToApprovedMirrorsAndSeries() async throws {
        let harness = try await AgentHarness()
        let (agent, task) = try await harness.startAgent()
        try await Self.write(harness, from: 1, count: 20)
        try await harness.approve("device_state")
        try await harness.approve("sensor_timeseries")
        try await harness.app.write { db in
            try db.execute(sql: "UPDATE device_state SET mode = 'hot', level = 0.1 + 0.2 WHERE id = 3")
            try db.execute(sql: "UPDATE device_state SET id = 100 WHERE id = 4")
            try db.execute(sql: "DELETE FROM device_state WHERE id IN (5, 6)")
            try db.execute(sql: "UPDATE device_state SET raw = NULL WHERE id = 7")
        }
        try await Self.write(harness, from: 21, count: 5)
        #expect(try await harness.waitForConvergence())
        let series = try #require(try await harness.lineage("sensor_timeseries"))
        let samples = try await harness.waitFor { () -> [JSONObject]? in
            let rows = try await harness.store.mirrorRows(
                lineageID: series.id,
                page: PageRequest(),
                order: nil,
                query: nil
            ).items
            return rows.count == 2 ? rows : nil
        }
        #expect(samples?.map { $0["value"] } == [.double(1.5), .double(21.5)])
        // The server commits, then the agent counts the batch when its PUBACK lands: a moment later.
        let counted = try await harness.waitFor { await agent.publishedRows >= 27 ? true : nil }
        #expect(counted == true, "the agent counted every acknowledged row")
        // The agent forgets journal rows just after their PUBACK, so a moment after convergence.
        let drained = try await harness.waitFor { () -> Bool? in
            let status = try AgentInspection.status(harness.configuration)
            return status.tables.first { $0.name == "device_state" }?.pendingRows == 0
                && status.tables.allSatisfy { !$0.paused } && status.connection == "connected"
                && (status.diskFreeBytes ?? 0) > 0 ? true : nil
        }
        #expect(drained == true)
        task.cancel()
        _ = try? await task.value
        await harness.stop()
    }

    @Test func everyControlKind() async throws {
        let harness = try await AgentHarness()
        let (_, task) = try await harness.startAgent()
        try await Self.write(harness, from: 1, count: 3)
        try await harness.approve("device_state", syncAuthority: .cloudAuthoritative)
        #expect(try await harness.waitForConvergence())
        let lineage = try #require(try await harness.lineage("device_state"))
        let device = try #require(try await harness.store.device(named: "pump-7", projectID: harness.projectID))
        @discardableResult
        func send(_ payload: DownlinkControl.Payload) async throws -> OutboundControl {
            let store = harness.store
            let controls = try await store.backend.write { tx in
                try store.apply([.sendControl(lineageID: lineage.id, deviceID: device.id, payload)], tx, now: .now)
            }
            await harness.server.ingress.deliver(controls)
            return try #require(controls.first)
        }
        // pause: the table stops publishing (the journal keeps the rows), telemetry goes on.
        try await send(.pauseLineage(sourceTable: "device_state", serverWatermark: 3, reason: "backpressure"))
        #expect(
            try await harness.waitFor {
                try AgentInspection.status(harness.configuration).tables.first { $0.name == "device_state" }?.paused
                    == true
                    ? true : nil
            } == true
        )
        try await Self.write(harness, from: 10, count: 4)
        // The telemetry row written with them arriving shows the agent polled past the writes.
        #expect(
            try await harness.waitFor {
                try await harness.lineage("sensor_timeseries")?.stagedRowCount == 2 ? true : nil
            } == true,
            "another table keeps publishing"
        )
        // Only the paused table's new rows stay pending once the first three are acknowledged.
        #expect(
            try await harness.waitFor {
                try AgentInspection.status(harness.configuration).tables.first { $0.name == "device_state" }?
                    .pendingRows == 4
                    ? true : nil
            } == true
        )
        #expect(try await harness.mirrorRows().count == 3)
        // resume: publishing continues from the journal, in order.
        try await send(.resumeLineage(sourceTable: "device_state", serverWatermark: 3))
        #expect(try await harness.waitForConvergence())
        // state_write: the local table takes the cloud's values; the change flows back up.
        try await send(
            .stateWrite(
                sourceTable: "device_state",
                rows: [StateWriteRow(pk: ["id": .integer(2)], values: ["mode": .string("cloud")], cloudVersion: 4)]
            )
        )
        let mode = try await harness.waitFor {
            try await harness.app.read { try String.fetchOne($0, sql: "SELECT mode FROM device_state WHERE id = 2") }
                == "cloud" ? true : nil
        }
        #expect(mode == true)
        #expect(try await harness.waitForConvergence())
        #expect(try await harness.agentState().cloudVersions(table: "device_state") == [#"{"id":2}"#: 4])
        // batch_rejected and url_grant are reported; a repeated control id is acted on once.
        try await send(
            .batchRejected(
                sourceTable: "device_state",
                batchID: "01936f2e-5c3a-7b21-9c4d-2f1e8a7b6c5d",
                reason: .rowCountMismatch,
                message: "test"
            )
        )
        let repeated = try await send(.pauseLineage(sourceTable: "device_state", serverWatermark: 9, reason: "test"))
        try await Task.sleep(for: .milliseconds(300))
        try await send(.resumeLineage(sourceTable: "device_state", serverWatermark: 9))
        try await Task.sleep(for: .milliseconds(300))
        await harness.server.ingress.deliver([repeated])
        let reports = try await harness.waitFor { () -> [String]? in
            let messages = try await harness.agentState().reports().map(\.message)
            return messages.contains { $0.contains("rejected: row_count_mismatch") } ? messages : nil
        }
        #expect(reports != nil)
        try await Task.sleep(for: .milliseconds(300))
        #expect(
            try AgentInspection.status(harness.configuration).tables.first { $0.name == "device_state" }?.paused
                == false,
            "the repeated pause was ignored"
        )
        let acked = try await harness.waitFor {
            try await harness.store.unacknowledgedControls(deviceID: device.id).isEmpty ? true : nil
        }
        #expect(acked == true, "every control was acknowledged")
        task.cancel()
        _ = try? await task.value
        await harness.stop()
    }

    @Test func aColumnAddedWhileRunningQueuesAnAdditiveReview() async throws {
        let harness = try await AgentHarness()
        let (_, task) = try await harness.startAgent()
        try await Self.write(harness, from: 1, count: 2)
        try await harness.approve("device_state")
        #expect(try await harness.waitForConvergence())
        try await harness.app.write { db in
            try db.execute(sql: "ALTER TABLE device_state ADD COLUMN zone TEXT")
            try db.execute(sql: "INSERT INTO device_state VALUES (50, 'new', 1.5, NULL, 'north')")
        }
        try await Self.write(harness, from: 70, count: 1)
        let review = try await harness.waitFor { () -> SchemaReview? in
            var filter = ReviewFilter()
            filter.status = .only(.queued)
            return try await harness.store.reviews(projectID: harness.projectID, filter: filter, page: PageRequest())
                .items.first { $0.sourceTable == "device_state" }
        }
        #expect(review?.classification == .compatibleAdditive)
        #expect(
            try await harness.waitFor {
                try await harness.lineage("sensor_timeseries")?.stagedRowCount == 2 ? true : nil
            } == true
        )
        task.cancel()
        _ = try? await task.value
        await harness.stop()
    }

    @Test func aSnapshotWhileTheApplicationWritesHasNoGapAndNoDuplicate() async throws {
        let harness = try await AgentHarness(snapshot: true)
        try await Self.write(harness, from: 1, count: 200)
        let writer = Task {
            for id in 1_000..<1_300 {
                try await harness.app.write { db in
                    try db.execute(sql: "INSERT INTO device_state VALUES (?, 'live', 1.0, NULL)", arguments: [id])
                    try db.execute(sql: "UPDATE device_state SET mode = 'touched' WHERE id = ?", arguments: [id - 999])
                }
            }
        }
        let (_, task) = try await harness.startAgent()
        try await writer.value
        try await harness.approve("device_state")
        #expect(try await harness.waitForConvergence())
        let lineage = try #require(try await harness.lineage("device_state"))
        #expect(lineage.mirroredRowCount == 500)
        task.cancel()
        _ = try? await task.value
        await harness.stop()
    }

    @Test func aServerOutageLosesNothing() async throws {
        let harness = try await AgentHarness()
        let (_, task) = try await harness.startAgent()
        try await Self.write(harness, from: 1, count: 10)
        try await harness.approve("device_state")
        #expect(try await harness.waitForConvergence())
        await harness.server.stop()
        for round in 0..<5 { try await Self.write(harness, from: 100 + round * 10, count: 10) }
        try await Task.sleep(for: .seconds(1))
        try await harness.restartServer()
        #expect(try await harness.waitForConvergence(timeout: .seconds(60)))
        task.cancel()
        _ = try? await task.value
        await harness.stop()
    }
}

extension AgentHarness {
    func agentState() throws -> AgentStateStore {
        try AgentStateStore(path: configuration.resolvedStatePath!)
    }
}

extension AgentServerTests {
    /// Journals over `local_retention_bytes` give way: a paused rows table's journal is dropped
    /// (reported) and rebuilt by a snapshot under a new journal_epoch, which runs once the table
    /// resumes; the mirror converges again.
    @Test func retentionDropsAndResnapshots() async throws {
        let harness = try await AgentHarness()
        harness.configuration.localRetentionBytes = 1_000
        let (_, task) = try await harness.startAgent()
        try await Self.write(harness, from: 1, count: 5)
        try await harness.approve("device_state")
        #expect(try await harness.waitForConvergence())
        let lineage = try #require(try await harness.lineage("device_state"))
        let device = try #require(try await harness.store.device(named: "pump-7", projectID: harness.projectID))
        func send(_ payload: DownlinkControl.Payload) async throws {
            let store = harness.store
            let controls = try await store.backend.write { tx in
                try store.apply([.sendControl(lineageID: lineage.id, deviceID: device.id, payload)], tx, now: .now)
            }
            await harness.server.ingress.deliver(controls)
        }
        try await send(.pauseLineage(sourceTable: "device_state", serverWatermark: 5, reason: "backpressure"))
        _ = try await harness.waitFor {
            try AgentInspection.status(harness.configuration).tables.first { $0.name == "device_state" }?.paused == true
                ? true : nil
        }
        try await Self.write(harness, from: 100, count: 80)
        try await harness.app.write { db in
            try db.execute(sql: "UPDATE device_state SET mode = 'changed' WHERE id <= 3")
            // Deleted while the journal gives way: the snapshot does not carry them, so the
            // server retires them from the mirror.
            try db.execute(sql: "DELETE FROM device_state WHERE id IN (4, 5) OR id BETWEEN 150 AND 159")
        }
        let dropped = try await harness.waitFor { () -> String? in
            try await harness.agentState().reports().map(\.message).first { $0.contains("dropped its journal") }
        }
        #expect(dropped != nil)
        #expect(
            try AgentInspection.status(harness.configuration).tables.first { $0.name == "device_state" }?.pendingBytes
                ?? 0
                <= 1_000
        )
        try await send(.resumeLineage(sourceTable: "device_state", serverWatermark: 5))
        #expect(try await harness.waitForConvergence())
        #expect(try await harness.agentState().reports().map(\.message).contains { $0.contains("snapshot journaled") })
        task.cancel()
        _ = try? await task.value
        await harness.stop()
    }
}

extension AgentServerTests {
    /// A snapshot over `snapshot_inline_limit` travels by the upload flow (url_request →
    /// url_grant → PUT zstd JSONL → finalize) and lands exactly like row batches.
    @Test func aLargeSnapshotTravelsByUpload() async throws {
        let harness = try await AgentHarness(snapshot: true)
        harness.configuration.snapshotInlineLimit = 10_000
        try await Self.write(harness, from: 1, count: 400)
        let (_, task) = try await harness.startAgent()
        let staged = try await harness.waitFor {
            try await harness.lineage("device_state")?.stagedRowCount == 400 ? true : nil
        }
        #expect(staged == true)
        // The agent reports the upload after the finalize's PUBACK, which follows the staging.
        let uploaded = try await harness.waitFor {
            try await harness.agentState().reports().map(\.message).first {
                $0.contains("uploaded the backlog through commit_seq")
            }
        }
        #expect(uploaded != nil, "the agent never reported the upload")
        let ledger = try await harness.store.batches(
            projectID: harness.projectID,
            filter: BatchFilter(),
            page: PageRequest(limit: 100)
        ).items
        #expect(ledger.allSatisfy { $0.outcome != .rejected }, "\(ledger.compactMap(\.rejectionMessage))")
        try await harness.approve("device_state")
        try await Self.write(harness, from: 1_000, count: 3)
        #expect(try await harness.waitForConvergence())
        if let files = harness.server.uploads.objects as? FileUploadObjects {
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: files.directory.path).isEmpty,
                "objects removed"
            )
        } else {
            let chunks = try await harness.store.backend.read { try $0.value("SELECT COUNT(*) FROM upload_chunk") }
            #expect(chunks?.integer == 0, "finalized objects are removed")
        }
        task.cancel()
        _ = try? await task.value
        await harness.stop()
    }
}

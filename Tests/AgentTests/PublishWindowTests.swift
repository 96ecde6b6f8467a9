import EdgeSyncModels
import Foundation
import GRDB
import MQTT
import Testing

@testable import Agent

/// Several batches of a table on their way: they are done in the order sent and never past one
/// that failed, and the state file keeps every one of them until it is done.
@Suite("Agent publish window")
struct PublishWindowTests {
    static func batch(_ id: String, through seq: Int64) -> OutboundBatch {
        OutboundBatch(
            table: "device_state",
            epoch: "e1",
            batchID: id,
            topic: .rowBatch,
            body: Array("{\"batch\":\"\(id)\"}".utf8),
            rowCount: 10,
            lastSeq: seq
        )
    }

    @Test func batchesAreDoneInTheOrderSent() async throws {
        var window = PublishWindow()
        // The second one's PUBACK comes first: it still waits for the first.
        let (first, release) = AsyncStream.makeStream(of: Void.self)
        window.append(Self.batch("a", through: 10), Task { for await _ in first {} })
        window.append(Self.batch("b", through: 20), Task {})
        #expect(window.batches.map(\.batchID) == ["a", "b"])
        release.finish()
        #expect(try await window.next()?.batchID == "a")
        #expect(try await window.next()?.batchID == "b")
        #expect(try await window.next() == nil)
        #expect(window.isEmpty)
    }

    @Test func nothingAfterAFailedPublishIsDone() async throws {
        var window = PublishWindow()
        window.append(Self.batch("a", through: 10), Task {})
        window.append(Self.batch("b", through: 20), Task { throw MQTTClientError.connectionClosed })
        window.append(Self.batch("c", through: 30), Task {})
        #expect(try await window.next()?.batchID == "a")
        await #expect(throws: MQTTClientError.connectionClosed) { try await window.next() }
        // "c" was acknowledged, but after "b" failed: it stays outbound and goes again.
        #expect(try await window.next() == nil)
        #expect(await window.settle().isEmpty)
    }

    @Test func settlingDoesTheAcknowledgedUpToTheFirstFailure() async throws {
        var window = PublishWindow()
        window.append(Self.batch("a", through: 10), Task {})
        window.append(Self.batch("b", through: 20), Task {})
        window.append(Self.batch("c", through: 30), Task { throw MQTTClientError.notConnected })
        window.append(Self.batch("d", through: 40), Task {})
        #expect(await window.settle().map(\.batchID) == ["a", "b"])
        #expect(window.isEmpty)
    }

    /// The batch after one on its way reads on from it; `schema_columns` go again until a batch
    /// that carries them is done.
    @Test func theNextBatchFollowsTheOnesOnTheirWay() {
        var progress = TableProgress(name: "device_state", epoch: "e1", lastAckedSeq: 5)
        var sent = Self.batch("a", through: 10)
        sent.schemaHashSent = "hash"
        progress.follow(sent)
        #expect(progress.cursor(in: "e1") == 10)
        #expect(progress.sentSchemaHash == nil)
        progress.complete(sent)
        #expect(progress.sentSchemaHash == "hash")
    }

    /// A state file of the previous format (one outbound batch per table) keeps its batch, and
    /// then holds several per table, read oldest first.
    @Test func theStateFileKeepsSeveralBatchesPerTable() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("window-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("state.db").path
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            for migration in StateMigrations.migrations.prefix(4) { try db.execute(sql: migration) }
            try db.execute(sql: "PRAGMA user_version = 4")
            try db.execute(
                sql: """
                    INSERT INTO outbound (table_name, batch_id, topic, body, row_count, last_seq, journal_epoch)
                    VALUES ('device_state', 'old', 'sync/rows/batch', x'7B7D', 3, 7, 'e1')
                    """
            )
        }
        try queue.close()
        let state = try AgentStateStore(path: path)
        let kept = try #require(try await state.outbound("device_state"))
        #expect(kept.batchID == "old" && kept.lastSeq == 7 && kept.body == Array("{}".utf8) && kept.rowCount == 3)
        try await state.saveOutbound(Self.batch("next", through: 20))
        #expect(try await state.outbound("device_state", excluding: ["old"])?.batchID == "next")
        #expect(try await state.outbound("device_state", batchID: "next")?.lastSeq == 20)
        #expect(try await !state.holdsOutbound("device_state", besides: "e1"))
        #expect(try await state.holdsOutbound("device_state", besides: "e2"))
        let progress = try await state.complete(kept)
        #expect(progress.cursor(in: "e1") == 7)
        #expect(try await state.outbound("device_state")?.batchID == "next")
    }
}

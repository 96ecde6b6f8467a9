import EdgeSyncModels
import Foundation
import TestSupport
import Testing

@testable import Server

@Suite("PostgreSQL store through a database crash", .serialized)
struct DatabaseCrashTests {
    /// Writes in flight when PostgreSQL crashes (`pg_ctl restart -m immediate`) stall until it has
    /// recovered, then go on: none fails, none is lost.
    @Test func writesStallThroughADatabaseCrashAndGoOn() async throws {
        let cluster = try await PostgresCluster.start()
        let (store, _, device) = try await ReplicaTests.bootstrapped(try await cluster.createDatabase())
        let written = ReplicaTests.Count()
        let writers = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<4 {
                    group.addTask {
                        for index in 0..<100 {
                            try await store.recordEvent(
                                device: device,
                                kind: .deviceConnected,
                                outcome: "\(writer)",
                                message: "\(index)"
                            )
                            await written.add()
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        while await written.value < 100 { try await Task.sleep(for: .milliseconds(10)) }
        try await cluster.restart(mode: "immediate")
        try await writers.value
        let rows = try await store.backend.read { tx in
            try tx.query("SELECT outcome, message FROM event").map { "\($0.string("outcome"))/\($0.string("message"))" }
        }
        // Which writes went missing or twice, if any: what a crash did to them tells why.
        let expected = (0..<4).flatMap { writer in (0..<100).map { "\(writer)/\($0)" } }
        let missing = Set(expected).subtracting(rows).sorted()
        let repeated = Dictionary(grouping: rows) { $0 }.filter { $0.value.count > 1 }.keys.sorted()
        #expect(rows.count == 400, "missing \(missing), written twice \(repeated)")
        await store.close()
        await cluster.stop()
    }

    /// A cut-off COMMIT is settled by the transaction's receipt: there when it committed, and
    /// fenced off for good when it was not written.
    @Test func aCutOffCommitIsSettledByItsReceipt() async throws {
        let (store, _, _) = try await ReplicaTests.bootstrapped(try await PostgresCluster.shared().createDatabase())
        let backend = try #require(store.backend as? PostgresBackend)
        let tokens = UUIDv7Generator()
        let committed = tokens.next().description
        try await backend.write { tx in
            _ = try tx.execute("INSERT INTO write_receipt (token) VALUES (CAST(? AS uuid))", [.text(committed)])
        }
        #expect(try await Self.settle(committed, backend), "its receipt is there: it committed")

        let lost = tokens.next().description
        #expect(try await !Self.settle(lost, backend), "no receipt: it did not commit")
        #expect(try await !Self.settle(lost, backend), "asked again, the same answer")
        try await backend.write { _ = try $0.execute("CREATE TABLE scratch (n bigint)") }
        let late = try await backend.withConnection { connection in
            PostgresTransaction.run(
                on: connection,
                dialect: backend.dialect,
                readOnly: false,
                receipt: PostgresWriteReceipt(token: lost, sweepBefore: nil),
                logger: backend.logger
            ) { tx in _ = try tx.execute("INSERT INTO scratch VALUES (1)") }
        }
        guard case .failed(let error) = late else {
            Issue.record("the fenced-off transaction committed")
            return
        }
        let message = backend.dialect.message(of: error)
        #expect(message.contains("SQLSTATE 23505"), "its receipt conflicts with the fence: \(message)")
        await store.close()
    }

    /// A receipt whose transaction is still running is waited for. On a cluster of its own: a
    /// transaction held open holds back the event readers of every database of its cluster.
    @Test func aReceiptStillBeingWrittenIsWaitedFor() async throws {
        let cluster = try await PostgresCluster.start()
        let (store, _, _) = try await ReplicaTests.bootstrapped(try await cluster.createDatabase())
        let backend = try #require(store.backend as? PostgresBackend)
        let token = UUIDv7Generator().next().description
        let (inside, entered) = AsyncStream.makeStream(of: Void.self)
        let release = DispatchSemaphore(value: 0)
        let holding = Task {
            try await backend.write { tx in
                _ = try tx.execute("INSERT INTO write_receipt (token) VALUES (CAST(? AS uuid))", [.text(token)])
                entered.yield()
                release.wait()
            }
        }
        for await _ in inside { break }
        let settling = Task { try await Self.settle(token, backend) }
        // Released once the question waits on the receipt's row.
        while try await backend.read({ tx in
            try tx.value(
                """
                SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO write_receipt%'
                """
            )?.integer ?? 0
        }) == 0 {
            try await Task.sleep(for: .milliseconds(5))
        }
        release.signal()
        try await holding.value
        #expect(try await settling.value, "the transaction committed while it was asked about")
        await store.close()
        await cluster.stop()
    }

    /// The first write of a store sweeps receipts past their retention; the next one does not.
    @Test func oldReceiptsAreSwept() async throws {
        let (store, _, _) = try await ReplicaTests.bootstrapped(try await PostgresCluster.shared().createDatabase())
        let backend = try #require(store.backend as? PostgresBackend)
        let old = UUIDv7Generator(clock: { UUIDv7Generator.systemMilliseconds() - 600_000 }).next().description
        let recent = UUIDv7Generator().next().description
        try await backend.write { tx in
            _ = try tx.execute("CREATE TABLE scratch (n bigint)")
            for token in [old, recent] {
                _ = try tx.execute("INSERT INTO write_receipt (token) VALUES (CAST(? AS uuid))", [.text(token)])
            }
        }
        let receipts = PostgresWriteReceipts()
        let first = receipts.next()
        #expect(first.sweepBefore != nil && receipts.next().sweepBefore == nil)
        _ = try await backend.withConnection { connection in
            try PostgresTransaction.run(
                on: connection,
                dialect: backend.dialect,
                readOnly: false,
                receipt: first,
                logger: backend.logger
            ) { tx in _ = try tx.execute("INSERT INTO scratch VALUES (1)") }
            .get()
        }
        let left = try await backend.read { tx in try tx.strings("SELECT token::text FROM write_receipt") }
        #expect(!left.contains(old) && left.contains(recent) && left.contains(first.token))
        await store.close()
    }

    static func settle(_ token: String, _ backend: PostgresBackend) async throws -> Bool {
        try await backend.write { try PostgresWriteReceipt.committed(token, $0) }
    }
}

import Foundation
import GRDB
import Testing

@testable import Server

/// The writer syncs every commit, and its WAL writes a commit's frames at once (`SQLiteVFS`),
/// while every connection still reads what was committed.
@Suite("SQLite WAL writes")
struct SQLiteWALWriteTests {
    static func walWrites(_ backend: SQLiteBackend) async throws -> Int {
        try #require(await backend.pool.writeWithoutTransaction { SQLiteVFS.walWrites($0) })
    }

    /// GRDB leaves its writer at synchronous NORMAL, which syncs a commit only at the next
    /// checkpoint: a PUBACK would promise a batch that a power cut can take back.
    @Test func theWriterSyncsEveryCommitOnAFreshFileAndAReopenedOne() async throws {
        let (first, path, cleanUp) = try scratchSQLiteBackend("wal")
        defer { cleanUp() }
        let full = 2
        #expect(try await first.pool.write { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == full)
        let reopened = try SQLiteBackend(path: path)
        #expect(try await reopened.pool.write { try Int.fetchOne($0, sql: "PRAGMA synchronous") } == full)
    }

    /// About 24 pages in one commit: some 50 writes of a header and a page each, coalesced into one
    /// (two when the WAL starts over and its header is synced first).
    @Test func aCommitWritesItsFramesAtOnceAndEveryConnectionReadsThem() async throws {
        let (backend, _, cleanUp) = try scratchSQLiteBackend("wal")
        defer { cleanUp() }
        try await backend.write { try $0.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, body BLOB)") }
        let before = try await Self.walWrites(backend)
        let rows = Array(repeating: [SQLValue.blob(Array(repeating: 0x5A, count: 3_000))], count: 24)
        _ = try await backend.groupWrite { tx in
            try tx.bulk(rows) { "INSERT INTO filler (body) VALUES \(BulkSQL.values("(?)", rows: $0))" }
        }
        let writes = try await Self.walWrites(backend) - before
        #expect((1...2).contains(writes), "\(writes) writes")
        #expect(try await backend.read { try $0.value("SELECT count(*) FROM filler")?.integer } == 24)
    }

    /// A transaction beyond the writer's page cache writes frames before it commits and reads them
    /// back, and beyond the 1 MiB the WAL gathers at most: 8 MiB in one commit.
    @Test func aTransactionLargerThanTheCacheAndTheGatheringIsKeptWhole() async throws {
        let (backend, _, cleanUp) = try scratchSQLiteBackend("wal")
        defer { cleanUp() }
        let rows = Array(repeating: [SQLValue.blob(Array(repeating: 0xA5, count: 3_000))], count: 128)
        try await backend.write { tx in
            try tx.execute("PRAGMA cache_size = 64")
            try tx.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, body BLOB)")
            for _ in 0..<20 {
                try tx.bulk(rows) { "INSERT INTO filler (body) VALUES \(BulkSQL.values("(?)", rows: $0))" }
            }
            try tx.execute("UPDATE filler SET body = zeroblob(3000) WHERE id % 3 = 0")
        }
        let (count, zeroed, check) = try await backend.read { tx in
            (
                try tx.value("SELECT count(*) FROM filler")?.integer,
                try tx.value("SELECT count(*) FROM filler WHERE body = zeroblob(3000)")?.integer,
                try tx.value("PRAGMA integrity_check")?.text
            )
        }
        #expect(count == 2_560)
        #expect(zeroed == 853)
        #expect(check == "ok")
    }

    /// Without a sync at each commit, other connections could be told of frames still gathered.
    @Test func aWALCoalescesOnlyWhenEveryCommitIsSynced() async throws {
        let (backend, _, cleanUp) = try scratchSQLiteBackend("wal")
        defer { cleanUp() }
        try await backend.pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            defer { try? db.execute(sql: "PRAGMA synchronous = FULL") }
            #expect(throws: DatabaseError.self) { try SQLiteVFS.coalesceWAL(db) }
        }
    }
}

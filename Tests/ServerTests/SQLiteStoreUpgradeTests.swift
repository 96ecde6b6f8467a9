import Foundation
import GRDB
import Testing

@testable import Server

/// A store written by an earlier release opens with its data kept, and the writer's prepared
/// multi-row statements stay bounded.
@Suite("SQLite store upgrade and statements")
struct SQLiteStoreUpgradeTests {
    @Test func dedupKeysOfAnEarlierStoreStillStopARepeatedRow() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("upgrade-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("store.sqlite").path
        // The store as the release before v8 left it: the key led by the row's hash.
        do {
            let queue = try DatabaseQueue(path: path)
            try SQLiteMigrations.migrator().migrate(queue, upTo: "v7-replicas")
            try await queue.write { db in
                for seq in 1...500 {
                    try db.execute(
                        sql: "INSERT INTO row_dedup VALUES ('device', 'orders', 'epoch', ?, ?)",
                        arguments: [String(format: "%064x", seq * 7_919), seq]
                    )
                }
            }
        }
        let backend = try SQLiteBackend(path: path)
        let kept = try await backend.read { try $0.value("SELECT count(*) FROM row_dedup")?.integer }
        #expect(kept == 500)
        let key = try await backend.read { tx in
            try tx.query("SELECT name FROM pragma_index_info('sqlite_autoindex_row_dedup_1') ORDER BY seqno")
                .compactMap { $0[0].text }
        }
        #expect(key == ["device_id", "source_table", "journal_epoch", "commit_seq", "source_pk_hash"])
        // A key held before the upgrade is still a duplicate; a new one is not.
        let inserted = try await backend.write { tx in
            try tx.query(
                """
                INSERT INTO row_dedup VALUES ('device', 'orders', 'epoch', ?, 3), ('device', 'orders', 'epoch', ?, 501)
                ON CONFLICT DO NOTHING RETURNING commit_seq
                """,
                [.text(String(format: "%064x", 3 * 7_919)), .text(String(format: "%064x", 501 * 7_919))]
            ).compactMap { $0[0].integer }
        }
        #expect(inserted == [501])
    }

    @Test func theWritersStatementCacheDropsTheLeastRecentlyUsed() throws {
        let queue = try DatabaseQueue()
        let cache = SQLiteStatementCache(capacity: 3)
        try queue.inDatabase { db in
            let first = try cache.statement("SELECT 1", db)
            let second = try cache.statement("SELECT 2", db)
            let third = try cache.statement("SELECT 3", db)
            #expect(try cache.statement("SELECT 1", db) === first)
            _ = try cache.statement("SELECT 4", db)
            #expect(cache.count == 3)
            // "SELECT 2" was the least recently used: it alone was dropped.
            #expect(try cache.statement("SELECT 1", db) === first)
            #expect(try cache.statement("SELECT 3", db) === third)
            #expect(try cache.statement("SELECT 2", db) !== second)
            #expect(cache.count == 3)
        }
    }
}

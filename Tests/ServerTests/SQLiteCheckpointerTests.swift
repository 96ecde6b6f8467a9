import Foundation
import GRDB
import Testing

@testable import Server

/// The store's WAL is checkpointed beside the writer, not inside its transactions: it stays
/// bounded under a steady stream of writes, plain and grouped, and every write is kept.
@Suite("SQLite checkpoints")
struct SQLiteCheckpointerTests {
    @Test func theWALStaysBoundedAndEveryWriteIsKept() async throws {
        let (backend, path, cleanUp) = try scratchSQLiteBackend("wal")
        defer { cleanUp() }
        try await backend.write { tx in try tx.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, body BLOB)") }
        // 48 MiB through the WAL (a page per row); it holds at most four thresholds of 4 KiB pages
        // and a few transactions.
        let body = SQLValue.blob(Array(repeating: 0x5A, count: 3_000))
        let rows = Array(repeating: [body], count: 128)
        for round in 0..<64 {
            let write: @Sendable (any SQLTransaction) throws -> Void = { tx in
                try tx.bulk(rows) { "INSERT INTO filler (body) VALUES \(BulkSQL.values("(?)", rows: $0))" }
            }
            if round.isMultiple(of: 2) {
                try await backend.write(write)
            } else {
                async let first: Void = backend.groupWrite(write)
                async let second: Void = backend.groupWrite(write)
                _ = try await (first, second)
            }
        }
        let walBytes = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
        #expect(walBytes <= 6 * SQLiteCheckpointer.threshold * (4_096 + 24), "WAL of \(walBytes) bytes")
        let count = try await backend.read { try $0.value("SELECT count(*) FROM filler")?.integer }
        #expect(count == Int64(96 * 128))
    }

    /// A copy waits for a threshold of frames beyond what was copied, and a checkpoint of a WAL
    /// that started over since never counts as copying the new one's frames.
    @Test func framesCountAsCopiedOnlyInTheWALTheCheckpointSaw() {
        var wal = SQLiteCheckpointer.WAL()
        wal.committed(frames: 1_000)
        let started = wal.generation
        wal.committed(frames: 1_040)
        wal.checkpointed((walFrameCount: 1_000, checkpointedFrameCount: 1_000), generation: started)
        #expect(wal.uncopied == 40)
        // Copied whole: the next write starts the WAL over.
        wal.checkpointed((walFrameCount: 1_040, checkpointedFrameCount: 1_040), generation: started)
        let before = wal.generation
        wal.committed(frames: 3)
        #expect(wal.uncopied == 3)
        #expect(wal.generation != before)
        // A copier's checkpoint of the WAL before, done only now, copied none of these.
        wal.checkpointed((walFrameCount: 1_040, checkpointedFrameCount: 1_040), generation: started)
        #expect(wal.uncopied == 3)
        // A big first transaction in the new WAL: its frames are all uncopied.
        wal.checkpointed((walFrameCount: 3, checkpointedFrameCount: 3), generation: wal.generation)
        wal.committed(frames: 2_500)
        #expect(wal.uncopied == 2_500)
    }

    /// The copier's connection, through the paced VFS, copies a WAL of many pacing steps whole,
    /// waiting for the disk as it goes, beside the writer's own connection, and the database holds
    /// every row after.
    @Test func thePacedCopyCopiesTheWholeWAL() async throws {
        try await Self.copyOfAFilledWAL { copier in
            let done = try #require(await copier.checkpoint())
            #if os(Linux)
            #expect(copier.flushes >= 16)
            #endif
            return done
        }
    }

    /// While the writer waits for it, the copy goes unpaced, and as whole.
    @Test func anUnpacedCopyDoesNotWaitForTheDisk() async throws {
        try await Self.copyOfAFilledWAL { copier in
            let done = try #require(await copier.unpaced { await copier.checkpoint() })
            #expect(copier.flushes == 0)
            return done
        }
    }

    /// A store whose WAL holds about 8 MiB (some 30 times what a paced copy leaves to the disk at
    /// a time), copied by `copy`; then the copy was whole and the database holds every row.
    private static func copyOfAFilledWAL(
        _ copy: (SQLiteCopier) async throws -> (walFrameCount: Int, checkpointedFrameCount: Int)
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("store.sqlite").path
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
        let pool = try DatabasePool(path: path, configuration: configuration)
        try await pool.write { db in
            try db.execute(sql: "CREATE TABLE filler (id INTEGER PRIMARY KEY, body BLOB)")
            for _ in 0..<2_000 { try db.execute(sql: "INSERT INTO filler (body) VALUES (zeroblob(4000))") }
        }
        let done = try await copy(try SQLiteCopier(path: path))
        #expect(done.walFrameCount * 4_096 > 16 * SQLiteVFS.flushAfter)
        #expect(done.checkpointedFrameCount == done.walFrameCount)
        try await pool.write { db in try db.execute(sql: "INSERT INTO filler (body) VALUES (x'01')") }
        try pool.close()
        let reopened = try DatabaseQueue(path: path)
        let (check, count) = try await reopened.read { db in
            (
                try String.fetchOne(db, sql: "PRAGMA integrity_check"),
                try Int.fetchOne(db, sql: "SELECT count(*) FROM filler")
            )
        }
        #expect(check == "ok")
        #expect(count == 2_001)
    }
}

import CSQLitePacing
import Dispatch
import GRDB
import GRDBSQLite

/// The checkpointer's own connection, which copies the WAL into the database file beside the
/// writer. It opens the file through a VFS that paces the copy's writes (`CSQLitePacing`): every
/// 256 KiB written, it waits for the disk to take them. Unpaced, a copy left 4 MiB of random writes
/// to its final fsync, and a commit's WAL sync that came meanwhile waited behind them all: with
/// another file's fsync of 1,000 random pages every 200 ms on this disk, a small append's
/// fdatasync took 0.4 ms at the median but 9–12 ms at the 99th percentile, 2–5 ms with the other
/// file paced at 64–256 KiB, and that copy took no longer. PostgreSQL paces its checkpoints the
/// same way (`checkpoint_flush_after`, 256 kB on Linux).
///
/// It is opened on SQLite's C API, and used on its own serial queue only.
final class SQLiteCopier: @unchecked Sendable {
    private let connection: OpaquePointer
    private let pacing: OpaquePointer
    private let queue = DispatchQueue(label: "edgesync.sqlite.copier")

    init(path: String) throws {
        try SQLiteVFS.install()
        var opened: OpaquePointer?
        var code = sqlite3_open_v2(path, &opened, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, SQLiteVFS.name)
        guard code == SQLITE_OK, let opened else {
            let message = opened.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(opened)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message)
        }
        // Past the open, a failure closes the connection.
        do {
            // A checkpoint syncs the database file only with synchronous FULL or NORMAL: it is
            // stated rather than left to how SQLite was built.
            code = sqlite3_exec(opened, "PRAGMA synchronous = FULL", nil, nil, nil)
            guard code == SQLITE_OK else {
                throw DatabaseError(
                    resultCode: ResultCode(rawValue: code),
                    message: String(cString: sqlite3_errmsg(opened))
                )
            }
            guard let pacing = edgesync_sqlite_pacing_create() else {
                throw DatabaseError(resultCode: .SQLITE_NOMEM, message: "cannot allocate the copier's pacing")
            }
            code = sqlite3_file_control(opened, "main", EDGESYNC_SQLITE_FCNTL_PACING, UnsafeMutableRawPointer(pacing))
            guard code == SQLITE_OK else {
                edgesync_sqlite_pacing_free(pacing)
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "the copier's file is not paced")
            }
            self.pacing = pacing
        } catch {
            sqlite3_close_v2(opened)
            throw error
        }
        sqlite3_busy_timeout(opened, 10)
        connection = opened
    }

    /// How many times this copier's copies waited for the disk to take their writes.
    var flushes: Int { Int(edgesync_sqlite_pacing_flushes(pacing)) }

    /// Runs `body` with this copier's copies unpaced: for a wait for a copy, during which no
    /// commit's WAL sync can queue behind its writes.
    func unpaced<T>(_ body: () async -> T) async -> T {
        edgesync_sqlite_pacing_pause(pacing, 1)
        defer { edgesync_sqlite_pacing_pause(pacing, 0) }
        return await body()
    }

    deinit {
        sqlite3_close_v2(connection)
        edgesync_sqlite_pacing_free(pacing)
    }

    /// A PASSIVE checkpoint: the frames in the WAL and those copied, or nil when it did not run
    /// (busy: the writer checkpoints).
    func checkpoint() async -> (walFrameCount: Int, checkpointedFrameCount: Int)? {
        await withCheckedContinuation { continuation in
            queue.async {
                var (frames, copied): (Int32, Int32) = (0, 0)
                let code = sqlite3_wal_checkpoint_v2(self.connection, nil, SQLITE_CHECKPOINT_PASSIVE, &frames, &copied)
                continuation.resume(returning: code == SQLITE_OK ? (Int(frames), Int(copied)) : nil)
            }
        }
    }
}

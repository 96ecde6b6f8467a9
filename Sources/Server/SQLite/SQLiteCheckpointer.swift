import GRDB
import GRDBSQLite
import Synchronization

/// WAL checkpoints beside the writer rather than inside its transactions. SQLite's automatic
/// checkpoint runs in the COMMIT that crosses its threshold, so every write of that transaction
/// (for a group commit, every device in the group) waits for pages to be copied into the database
/// although they are durable already: with a thousand devices that was a checkpoint of 7–10 ms
/// about 25 times a second, and most of the PUBACK p99.
///
/// Here the writer's WAL hook counts the frames. Once a threshold is pending, a connection of its
/// own copies the WAL into the database (a PASSIVE checkpoint, on another core, while the writer
/// goes on appending). At two thresholds the writer itself checkpoints between two transactions
/// when no write waits, or at four whatever waits: by then little is left to copy, and a
/// checkpoint that copied the whole WAL lets the next write start it over, so the file stays
/// bounded. Copying earlier (from half a threshold) checkpointed, and synced, twice as often, and
/// an application's writes on the same disk waited for those syncs.
final class SQLiteCheckpointer: Sendable {
    /// SQLite's own default threshold (1,000 pages, 4 MiB at 4 KiB pages).
    static let threshold = 1_000

    private let pool: DatabasePool
    private let copier: DatabaseQueue
    /// Frames in the WAL after the writer's last commit (0 once a checkpoint copied them all).
    private let frames = Atomic<Int>(0)
    /// The copier's checkpoint under way: two checkpoints cannot run at once.
    private let copy = Mutex<Task<Void, Never>?>(nil)

    /// Takes the checkpoints over from SQLite on the pool's writer.
    init(pool: DatabasePool) throws {
        self.pool = pool
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        copier = try DatabaseQueue(path: pool.path, configuration: configuration)
        let context = Unmanaged.passUnretained(self).toOpaque()
        pool.writeWithoutTransaction { db in
            // Replaces the automatic checkpoint's hook. The backend keeps this object as long as
            // its pool.
            _ = sqlite3_wal_hook(
                db.sqliteConnection,
                { context, _, _, frames in
                    Unmanaged<SQLiteCheckpointer>.fromOpaque(context!).takeUnretainedValue().frames.store(
                        Int(frames),
                        ordering: .relaxed
                    )
                    return SQLITE_OK
                },
                context
            )
        }
    }

    /// Called by the writer after each transaction; `waiting` says whether writes are queued.
    func afterWrite(waiting: Bool) async {
        let frames = frames.load(ordering: .relaxed)
        if frames >= Self.threshold { startCopy() }
        guard frames >= 2 * Self.threshold else { return }
        if frames < 4 * Self.threshold {
            guard !waiting, copy.withLock({ $0 == nil }) else { return }
        } else {
            await copy.withLock { $0 }?.value
        }
        let done = try? await pool.writeWithoutTransaction { db in try db.checkpoint(.passive) }
        if let done, done.walFrameCount == done.checkpointedFrameCount {
            self.frames.store(0, ordering: .relaxed)
        }
    }

    /// Starts the copier's checkpoint unless one is under way.
    private func startCopy() {
        copy.withLock { copy in
            guard copy == nil else { return }
            let copier = copier
            copy = Task.detached {
                // Cut short by a reader, or busy because the writer checkpoints: a later write retries.
                // Awaited on the copier's own queue: a cooperative thread never blocks on it.
                _ = try? await copier.writeWithoutTransaction { db in try db.checkpoint(.passive) }
                self.copy.withLock { $0 = nil }
            }
        }
    }
}

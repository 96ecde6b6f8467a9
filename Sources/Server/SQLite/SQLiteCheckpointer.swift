import GRDB
import GRDBSQLite
import Synchronization

/// WAL checkpoints beside the writer rather than inside its transactions. SQLite's automatic
/// checkpoint runs in the COMMIT that crosses its threshold, so every write of that transaction
/// (for a group commit, every device in the group) waits for pages to be copied into the database
/// although they are durable already: with a thousand devices that was a checkpoint of 7–10 ms
/// about 25 times a second, and most of the PUBACK p99.
///
/// Here the writer's WAL hook counts the frames. Once a threshold of frames is in the WAL beyond
/// what was copied already, a connection of its own copies them into the database (a PASSIVE
/// checkpoint, on another core, while the writer goes on appending, its writes paced so that the
/// writer's WAL syncs do not queue behind them: `SQLiteCopier`). A checkpoint copies each
/// page once however many frames hold it, so copying a threshold at a time copies the pages a
/// steady load rewrites (the lineages' rows and indexes, the ledger's last pages) once per
/// threshold. With a copy started after every commit past the threshold, a thousand devices'
/// one-row batches copied a quarter more pages and synced half as often again. From two
/// thresholds on, the copier copies whatever is new; at four the writer waits for that copy (its
/// pacing off: no commit can queue behind it then) and checkpoints itself: by then little is left
/// to copy, and a checkpoint that copied the whole WAL lets the next write start it over, so the
/// file stays bounded. Copying earlier (from half a threshold) checkpointed, and synced, twice as
/// often, and an application's writes on the same disk waited for those syncs.
final class SQLiteCheckpointer: Sendable {
    /// SQLite's own default threshold (1,000 pages, 4 MiB at 4 KiB pages).
    static let threshold = 1_000

    private let pool: DatabasePool
    private let copier: SQLiteCopier
    /// The WAL as the writer's hook and the checkpoints see it.
    struct WAL {
        /// Frames in the WAL after the writer's last commit.
        var frames = 0
        /// Of those, the frames a checkpoint has copied into the database.
        var copied = 0
        /// Counts the times the WAL may have started over, so that a checkpoint of the WAL before
        /// cannot count its frames as copied in the new one.
        var generation = 0

        var uncopied: Int { frames - copied }

        /// A write that finds the WAL copied whole starts it over, unless a reader still holds it:
        /// then the count goes on, and counting none as copied only brings the next copy forward.
        mutating func committed(frames: Int) {
            if frames < self.frames || copied == self.frames { (copied, generation) = (0, generation + 1) }
            self.frames = frames
        }

        mutating func checkpointed(_ done: (walFrameCount: Int, checkpointedFrameCount: Int), generation: Int) {
            if generation == self.generation { copied = done.checkpointedFrameCount }
        }
    }

    private let wal = Mutex(WAL())
    /// The copier's checkpoint under way: two checkpoints cannot run at once.
    private let copy = Mutex<Task<Void, Never>?>(nil)

    /// Takes the checkpoints over from SQLite on the pool's writer.
    init(pool: DatabasePool) throws {
        self.pool = pool
        copier = try SQLiteCopier(path: pool.path)
        let context = Unmanaged.passUnretained(self).toOpaque()
        pool.writeWithoutTransaction { db in
            // Replaces the automatic checkpoint's hook. The backend keeps this object as long as
            // its pool.
            _ = sqlite3_wal_hook(
                db.sqliteConnection,
                { context, _, _, frames in
                    Unmanaged<SQLiteCheckpointer>.fromOpaque(context!).takeUnretainedValue().wal.withLock {
                        $0.committed(frames: Int(frames))
                    }
                    return SQLITE_OK
                },
                context
            )
        }
    }

    /// Called by the writer after each transaction.
    func afterWrite() async {
        if committed() { await catchUp() }
    }

    /// Called on the writer after each transaction: starts the copier once a threshold of frames
    /// waits to be copied. True when the WAL has grown so far that the writer must wait for
    /// `catchUp` before it writes again.
    func committed() -> Bool {
        let (frames, uncopied) = wal.withLock { ($0.frames, $0.uncopied) }
        if uncopied >= (frames >= 2 * Self.threshold ? 1 : Self.threshold) { startCopy() }
        return frames >= 4 * Self.threshold
    }

    /// The writer's wait: the copy under way, then a checkpoint of its own.
    func catchUp() async {
        // The writer waits from here, so the rest of the copy need not be paced. In a stall of
        // 192 ms, a copy slowed by the disk had held the writer 113 ms, then its own checkpoint 79.
        await copier.unpaced { await copy.withLock { $0 }?.value }
        // On the writer's connection, so that no write appends meanwhile and the copy can be whole.
        await checkpoint { try? await pool.writeWithoutTransaction { db in try db.checkpoint(.passive) } }
    }

    /// A PASSIVE checkpoint, its outcome counted.
    private func checkpoint(_ run: () async -> (walFrameCount: Int, checkpointedFrameCount: Int)?) async {
        let generation = wal.withLock { $0.generation }
        guard let done = await run() else { return }
        wal.withLock { $0.checkpointed(done, generation: generation) }
    }

    /// Starts the copier's checkpoint unless one is under way.
    private func startCopy() {
        copy.withLock { copy in
            guard copy == nil else { return }
            copy = Task.detached {
                // Cut short by a reader, or busy because the writer checkpoints: a later write retries.
                // Awaited on the copier's own queue: a cooperative thread never blocks on it.
                await self.checkpoint { await self.copier.checkpoint() }
                self.copy.withLock { $0 = nil }
            }
        }
    }
}

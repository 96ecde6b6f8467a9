import GRDB
import Synchronization

/// Group commit for SQLite's one writer: write transactions that arrive while one is running wait
/// together and then run in a single transaction, each in a savepoint of its own, so that they
/// share one WAL sync instead of paying one each. With synchronous FULL a commit costs an fsync,
/// and a thousand devices sending a small batch a second each would otherwise queue behind a
/// thousand fsyncs a second. A body that throws rolls back its own savepoint only and gets its
/// error; the others commit. Each caller hears back only after the COMMIT: a PUBACK sent then
/// still promises a durable batch.
final class SQLiteGroupCommit: Sendable {
    /// One caller's body, run by whichever caller is draining. It returns what to tell the caller
    /// once the transaction has committed; `fail` tells it the transaction did not.
    private struct Pending: Sendable {
        var run: @Sendable (Database) -> @Sendable () -> Void
        var fail: @Sendable (any Error) -> Void
    }

    private struct Queue {
        var pending: [Pending] = []
        var draining = false
    }

    private let pool: DatabasePool
    private let dialect: any SQLDialect
    private let statements: SQLiteStatementCache
    private let checkpointer: SQLiteCheckpointer
    private let queue = Mutex(Queue())
    /// The most bodies one transaction takes, so that a long queue still commits in steps.
    static let maximumGroup = 256

    init(
        pool: DatabasePool,
        dialect: any SQLDialect,
        statements: SQLiteStatementCache,
        checkpointer: SQLiteCheckpointer
    ) {
        self.pool = pool
        self.dialect = dialect
        self.statements = statements
        self.checkpointer = checkpointer
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLTransaction) throws -> T) async throws -> T {
        let (dialect, statements) = (dialect, statements)
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let pending = Pending(
                run: { db in
                    let result = Result { () throws -> T in
                        let tx = SQLiteTransaction(db: db, dialect: dialect, statements: statements)
                        return try tx.savepoint { try body(tx) }
                    }
                    return { continuation.resume(with: result.mapError { dialect.storeError($0) }) }
                },
                fail: { continuation.resume(throwing: dialect.storeError($0)) }
            )
            let drains = queue.withLock { queue in
                queue.pending.append(pending)
                defer { queue.draining = true }
                return !queue.draining
            }
            if drains { drainOnWriter() }
        }
    }

    /// Runs `body` in a transaction whose savepoints keep their sub-journal in memory. In a
    /// temporary file, each group created, wrote and unlinked one in /var/tmp; in memory, a
    /// thousand devices' PUBACK p99 with a core kept busy went from 6.4–8.8 ms to 5.4–6.5 ms. A
    /// group's bodies are ingest commits of bounded batches, so that journal stays small; other
    /// writes (a lineage's or a mirror's deletes can touch every page of a large table) keep
    /// SQLite's default, which spills to a file past 64 KiB. SQLite reads the setting when a
    /// transaction begins.
    private static func transactionJournalingInMemory<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        try db.execute(sql: "PRAGMA temp_store = MEMORY")
        defer { try? db.execute(sql: "PRAGMA temp_store = DEFAULT") }
        var result: T?
        try db.inTransaction {
            result = try body()
            return .commit
        }
        return result!
    }

    /// Runs groups on the writer's queue until the queue is empty, each caller resumed from there
    /// (with a thousand devices publishing one sample a second, a drain task of its own cost each
    /// publish two more thread handoffs: to the task and back from the writer). When the WAL has
    /// grown so far that the checkpointer needs the writer, the rest waits for its checkpoint.
    private func drainOnWriter() {
        pool.asyncWriteWithoutTransaction { db in
            while let group = self.nextGroup() {
                do {
                    let replies = try Self.transactionJournalingInMemory(db) {
                        try group.map { pending in
                            let reply = pending.run(db)
                            // An error that ended the whole transaction (SQLite rolls back by itself
                            // on a full disk or an I/O error) undoes the bodies before it too.
                            guard db.isInsideTransaction else { throw StoreError(.internal, "the transaction ended") }
                            return reply
                        }
                    }
                    for reply in replies { reply() }
                } catch {
                    for pending in group { pending.fail(error) }
                }
                if self.checkpointer.committed() {
                    Task {
                        await self.checkpointer.catchUp()
                        self.drainOnWriter()
                    }
                    return
                }
            }
        }
    }

    /// The next group, nil (and the drain over) when none is waiting.
    private func nextGroup() -> [Pending]? {
        queue.withLock { queue in
            let group = Array(queue.pending.prefix(Self.maximumGroup))
            queue.pending.removeFirst(group.count)
            if group.isEmpty { queue.draining = false }
            return group.isEmpty ? nil : group
        }
    }
}

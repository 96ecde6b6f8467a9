import EdgeSyncModels
import Synchronization

/// What tells whether a write transaction committed when the connection failed while its COMMIT
/// was on its way: a row with the transaction's own token (`write_receipt`), written just before
/// COMMIT, which exists if and only if the transaction committed.
///
/// A transaction id cannot tell: an id whose commit record had not reached the disk when the
/// database crashed is handed out again after recovery, and `pg_xact_status` then answers for the
/// transaction that got it second.
struct PostgresWriteReceipt: Sendable {
    /// UUIDv7: receipts sort by the time they were written, so the sweep walks the primary key.
    let token: String
    /// When due, receipts written before this token are swept in the same transaction.
    let sweepBefore: String?

    /// Written in the transaction when it has written anything (a transaction that wrote nothing
    /// can be run again whatever became of it).
    static let insert = """
        INSERT INTO write_receipt (token) SELECT CAST(? AS uuid) WHERE pg_current_xact_id_if_assigned() IS NOT NULL
        """
    /// Rows another replica is sweeping are left to it: a write never waits on a sweep.
    static let sweep = """
        DELETE FROM write_receipt WHERE token IN
        (SELECT token FROM write_receipt WHERE token < CAST(? AS uuid) FOR UPDATE SKIP LOCKED)
        """

    /// Inserts the receipt a second time, marked as a fence, and reads which one is there. The
    /// insert waits for the transaction that wrote the receipt when it is still running; when it
    /// never wrote it, the committed fence keeps it from ever committing later (its own insert
    /// would conflict), so "not committed" stays true.
    static func committed(_ token: String, _ tx: any SQLTransaction) throws -> Bool {
        if let lockWait = tx.dialect.boundedLockWait { try tx.execute(lockWait) }
        try tx.execute(
            "INSERT INTO write_receipt (token, fence) VALUES (CAST(? AS uuid), true) ON CONFLICT (token) DO NOTHING",
            [.text(token)]
        )
        return try tx.value("SELECT NOT fence FROM write_receipt WHERE token = CAST(? AS uuid)", [.text(token)])?
            .integer == 1
    }
}

/// Hands out receipts and decides when old ones are swept: a cut-off COMMIT is settled within
/// the store's retries (about 30 s), so a receipt is never read after `retention`.
final class PostgresWriteReceipts: Sendable {
    static let retention = Duration.seconds(300)
    static let sweepInterval = Duration.seconds(1)

    private let tokens = UUIDv7Generator.shared
    private let nextSweep = Mutex<UInt64>(0)

    func next() -> PostgresWriteReceipt {
        let now = UUIDv7Generator.systemMilliseconds()
        let due = nextSweep.withLock { next in
            guard now >= next else { return false }
            next = now + UInt64(Self.sweepInterval.nanoseconds / 1_000_000)
            return true
        }
        let boundary = now - UInt64(Self.retention.nanoseconds / 1_000_000)
        return PostgresWriteReceipt(
            token: tokens.next().description,
            // The smallest UUIDv7 of that millisecond.
            sweepBefore: due ? UUIDv7Generator(clock: { boundary }, random: { 0 }).next().description : nil
        )
    }
}

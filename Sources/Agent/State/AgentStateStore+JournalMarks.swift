import EdgeSyncModels

/// The journal keeps no time (a timestamp in every captured row would slow the application's
/// writes), so the agent notes when it first saw each journal reach a seq. The oldest unsent row
/// existed at the first mark at or past it: its age is known to within the interval between
/// marks, or, for rows written while no agent ran, from when the agent came back.
extension AgentStateStore {
    /// Records that `table`'s journal held entries through `seq` at `time`, and forgets the marks
    /// that only cover acknowledged entries or an earlier epoch.
    func mark(table: String, epoch: String, through seq: Int64, at time: Timestamp, acknowledged: Int64) async throws {
        try await queue.write { db in
            try db.run(
                "DELETE FROM journal_mark WHERE table_name = ? AND (epoch <> ? OR seq <= ?)",
                [.text(table), .text(epoch), .integer(acknowledged)]
            )
            try db.run(
                "INSERT OR IGNORE INTO journal_mark VALUES (?, ?, ?, ?)",
                [.text(table), .text(epoch), .integer(seq), .integer(time.seconds)]
            )
        }
    }

    /// When the agent first saw the entry after `cursor`, or nil when no mark reaches it yet.
    static func firstSeen(_ db: SQLiteDatabase, table: String, epoch: String, after cursor: Int64) throws -> Timestamp?
    {
        try db.scalar(
            "SELECT seen_at FROM journal_mark WHERE table_name = ? AND epoch = ? AND seq > ? ORDER BY seq LIMIT 1",
            [.text(table), .text(epoch), .integer(cursor)]
        )?.integer.map { Timestamp(seconds: $0) }
    }
}

import EdgeSyncModels

/// The replay of staged rows and the backpressure sweep: SQL around `Replay` and `Backpressure`.
extension SQLGovernanceStore {
    /// Drains up to `limit` staged rows of the first lineage in `Replay.order` that no other
    /// replica is draining, deleting each staged row in the transaction that materializes it: a
    /// crash resumes exactly where it stopped.
    public func replayStep(limit: Int, now: Timestamp) async throws -> ReplayProgress {
        try await backend.write { tx in
            var progress = ReplayProgress()
            let intents = try tx.query(
                """
                SELECT r.id, r.lineage_id, l.strategy, r.created_at FROM replay_intent r JOIN lineage l ON l.id = r.lineage_id
                WHERE r.state IN ('pending', 'running') AND l.status = 'active'
                """
            ).map {
                Replay.Intent(
                    id: $0.string("id"),
                    lineageID: $0.string("lineage_id"),
                    strategy: LineageStrategy(rawValue: $0.string("strategy")) ?? .rows,
                    createdAt: $0.int64("created_at")
                )
            }
            // Claimed: an intent another replica is draining is passed over.
            let claimed = try Replay.order(intents).first { intent in
                try tx.exists(
                    "SELECT 1 FROM replay_intent WHERE id = ? AND state IN ('pending', 'running')\(tx.claimRows)",
                    [.text(intent.id)]
                )
            }
            guard let intent = claimed, var lineage = try Self.lineageState(tx, id: intent.lineageID) else {
                return progress
            }
            progress.lineageID = lineage.id
            let staged = try tx.query(
                Self.replayBatchSQL(rows: intent.strategy == .rows),
                [.text(lineage.id), .integer(Int64(limit))]
            )
            let rows = staged.map(Self.stagedRow)
            let outcome: MaterializationOutcome
            if intent.strategy == .rows {
                let changes = rows.map {
                    RowChange(
                        op: $0.op ?? .insert,
                        pk: $0.pk ?? [:],
                        pkHash: PrimaryKeyHash.hash(of: $0.pk ?? [:]),
                        row: $0.row,
                        epoch: $0.journalEpoch ?? "",
                        seq: $0.commitSeq ?? 0
                    )
                }
                outcome = try self.materialize(tx, &lineage, count: rows.count, now: now) { writer, range in
                    try writer.apply(tx, changes[range], now: now)
                }
            } else {
                let samples = rows.map { Sample(ts: $0.ts ?? Timestamp(ns: 0), rowID: $0.rowID, fields: $0.row ?? [:]) }
                outcome = try self.materialize(tx, &lineage, count: rows.count, now: now) { writer, range in
                    try writer.append(tx, samples[range])
                    return range.count
                }
            }
            let failed = Set(outcome.leftOver.map(\.index))
            let landed = rows.indices.filter { !failed.contains($0) }
            try Self.updateStaged(tx, "DELETE FROM staged_row", ids: landed.map { rows[$0].id })
            try Self.updateStaged(
                tx,
                "UPDATE staged_row SET reason = 'materialization_failed'",
                ids: failed.sorted().map { rows[$0].id }
            )
            let bytes = landed.reduce(Int64(0)) { $0 + rows[$1].bytes }
            progress.replayed = rows.count - failed.count
            progress.controls = outcome.controls
            try tx.execute(
                """
                UPDATE lineage SET staged_row_count = staged_row_count - ?, staged_bytes = staged_bytes - ?, updated_at = ?
                WHERE id = ?
                """,
                [.integer(Int64(progress.replayed)), .integer(bytes), .integer(now.ns), .text(lineage.id)]
            )
            lineage.stagedRows -= Int64(progress.replayed)
            lineage.stagedBytes -= bytes
            try self.retireIfDue(tx, lineageID: lineage.id, now: now)
            let lastError =
                outcome.leftOver.isEmpty
                ? nil
                : try tx.value("SELECT last_materialization_error FROM lineage WHERE id = ?", [.text(lineage.id)])?.text
            let total =
                try tx.value("SELECT replayed_rows FROM replay_intent WHERE id = ?", [.text(intent.id)])?.integer ?? 0
            let step = Replay.stepped(
                lineage,
                intentID: intent.id,
                replayed: progress.replayed,
                totalReplayed: total,
                lastError: lastError
            )
            progress.completed = step.completed
            try self.apply(step.effects, tx, now: now)
            return progress
        }
    }

    /// Runs `statement` (a DELETE or UPDATE of `staged_row`) on the staged rows `ids`.
    static func updateStaged(_ tx: any SQLTransaction, _ statement: String, ids: [Int64]) throws {
        try tx.bulk(ids.map { [.integer($0)] }) { "\(statement) WHERE id IN \(BulkSQL.tuple($0))" }
    }

    /// The next staged rows of a lineage in replay order (commit order, or time for samples).
    /// Its conditions match the partial indexes' (v4), so the order comes from an index.
    static func replayBatchSQL(rows: Bool) -> String {
        let (kind, order) =
            rows ? ("commit_seq IS NOT NULL", "journal_epoch, commit_seq, id") : ("ts_ns IS NOT NULL", "ts_ns, id")
        return "SELECT \(stagedRowColumns) FROM staged_row WHERE lineage_id = ? AND \(kind) ORDER BY \(order) LIMIT ?"
    }

    /// The periodic backpressure sweep over every lineage the server paused on the device.
    public func sweepBackpressure(now: Timestamp) async throws -> [OutboundControl] {
        try await backend.write { tx in
            let candidates = try tx.query(
                "SELECT \(Self.lineageStateColumns) FROM lineage WHERE device_paused = 1 ORDER BY id"
            ).map(Self.lineageState)
            var controls: [OutboundControl] = []
            for var lineage in candidates {
                let policy = try Self.policy(tx, projectID: lineage.projectID, fleetID: lineage.fleetID)
                controls += try self.apply(Backpressure.sweep(&lineage, policy: policy), tx, now: now)
            }
            return controls
        }
    }
}

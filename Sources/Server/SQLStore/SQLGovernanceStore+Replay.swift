import EdgeSyncModels

/// The replay of staged rows and the backpressure sweep: SQL around `Replay` and `Backpressure`.
extension SQLGovernanceStore {
    /// Drains up to `limit` staged rows of the first lineage in `Replay.order` that no other
    /// replica is draining, deleting each staged row in the transaction that materializes it: a
    /// crash resumes exactly where it stopped. The next chunk is read meanwhile
    /// (`ReplayReadAhead`); a step that finds it stale once it has begun to write rolls its whole
    /// transaction back and runs again on rows it reads itself. (A savepoint around the step
    /// instead made SQLite journal every page the step touched and write out the pages its
    /// deletes freed: a quarter of the deletes' time.)
    public func replayStep(limit: Int, now: Timestamp) async throws -> ReplayProgress {
        if let ahead = await replayAhead.take(limit: limit) {
            do {
                return try await backend.write { tx in try self.replayStep(tx, ahead: ahead, limit: limit, now: now) }
            } catch let error as StoreError where error == ReplayReadAhead.stale {}
        }
        return try await backend.write { tx in try self.replayStep(tx, ahead: nil, limit: limit, now: now) }
    }

    private func replayStep(
        _ tx: any SQLTransaction,
        ahead: ReplayChunk?,
        limit: Int,
        now: Timestamp
    ) throws -> ReplayProgress {
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
        guard let intent = claimed, let lineage = try Self.lineageState(tx, id: intent.lineageID) else {
            return ReplayProgress()
        }
        if let ahead, ahead.lineageID == lineage.id, ahead.strategy == intent.strategy, try ahead.isFirst(tx) {
            return try replay(tx, ahead, intent: intent, lineage, limit: limit, now: now)
        }
        let chunk = try ReplayChunk.read(tx, lineageID: lineage.id, strategy: intent.strategy, limit: limit)
        return try replay(tx, chunk, intent: intent, lineage, limit: limit, now: now)
    }

    /// Materializes `chunk`, the lineage's first staged rows, and deletes them; starts reading
    /// the next chunk when this one is full.
    private func replay(
        _ tx: any SQLTransaction,
        _ chunk: ReplayChunk,
        intent: Replay.Intent,
        _ lineage: LineageState,
        limit: Int,
        now: Timestamp
    ) throws -> ReplayProgress {
        var lineage = lineage
        var progress = ReplayProgress()
        progress.lineageID = lineage.id
        let target = try Self.target(tx, lineageID: lineage.id)
        // Converted for another target (a re-approval came between): read again.
        if let prepared = chunk.prepared, target != prepared.target {
            throw ReplayReadAhead.stale
        }
        if chunk.rows.count == limit, let end = chunk.end {
            replayAhead.start(limit: limit) { [backend, dialect, deviceID = lineage.deviceID] in
                try await backend.read { tx in
                    var next = try ReplayChunk.read(
                        tx,
                        lineageID: chunk.lineageID,
                        strategy: chunk.strategy,
                        after: end,
                        limit: limit
                    )
                    if let target = try Self.target(tx, lineageID: chunk.lineageID) {
                        next.prepare(
                            for: MirrorWriter(
                                target: target,
                                lineageID: chunk.lineageID,
                                deviceID: deviceID,
                                keepTombstones: false,
                                dialect: dialect
                            )
                        )
                    }
                    return next
                }
            }
        }
        let rows = chunk.rows
        let outcome: MaterializationOutcome
        if chunk.strategy == .rows {
            outcome = try self.materialize(tx, &lineage, target: target, count: rows.count, now: now) { writer, range in
                guard let prepared = chunk.prepared else { return try writer.apply(tx, chunk.changes[range], now: now) }
                return try writer.apply(tx, prepared, range, now: now)
            }
        } else {
            outcome = try self.materialize(tx, &lineage, target: target, count: rows.count, now: now) { writer, range in
                try writer.append(tx, chunk.samples[range])
                return range.count
            }
        }
        let failed = Set(outcome.leftOver.map(\.index))
        let landed = rows.indices.filter { !failed.contains($0) }
        let deleted = try tx.bulkExecute(landed.map { [.integer(rows[$0].id)] }) {
            "DELETE FROM staged_row WHERE id IN \(BulkSQL.tuple($0))"
        }
        // A row of a chunk read ahead that another replica replayed meanwhile.
        guard deleted == landed.count else { throw ReplayReadAhead.stale }
        try tx.bulkExecute(failed.sorted().map { [.integer(rows[$0].id)] }) {
            "UPDATE staged_row SET reason = 'materialization_failed' WHERE id IN \(BulkSQL.tuple($0))"
        }
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

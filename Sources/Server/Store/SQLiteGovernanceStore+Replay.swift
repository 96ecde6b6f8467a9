import EdgeSyncModels
import GRDB

/// What one replay step did.
public struct ReplayProgress: Sendable, Hashable {
    public var lineageID: String?
    public var replayed = 0
    public var completed = false
    /// Controls to deliver now (a breaker that opened during the replay).
    public var controls: [OutboundControl] = []

    public init() {}
}

extension SQLiteGovernanceStore {
    /// Drains up to `limit` staged rows of one lineage with an open replay intent (telemetry
    /// lineages first), in commit_seq (rows) or ts (telemetry) order, deleting each staged row in
    /// the transaction that materializes it: a crash resumes exactly where it stopped.
    public func replayStep(limit: Int, now: Timestamp) async throws -> ReplayProgress {
        try await pool.write { db in
            var progress = ReplayProgress()
            guard
                let intent = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT r.id, r.lineage_id, l.strategy FROM replay_intent r JOIN lineage l ON l.id = r.lineage_id
                        WHERE r.state IN ('pending', 'running') AND l.status = 'active' ORDER BY l.strategy = 'rows', r.created_at LIMIT 1
                        """
                )
            else { return progress }
            let lineageID: String = intent["lineage_id"]
            progress.lineageID = lineageID
            let staged = try Row.fetchAll(
                db,
                sql: Self.replayBatchSQL(rows: (intent["strategy"] as String) == "rows"),
                arguments: [lineageID, limit]
            )
            let rows = staged.map(Self.stagedRow)
            let outcome = try self.materialize(db, lineageID: lineageID, count: rows.count, now: now) { writer, index in
                let row = rows[index]
                if let ts = row.ts {
                    try writer.append(db, ts: ts, rowID: staged[index]["row_id"], fields: row.row ?? [:])
                    return 1
                }
                return try writer.apply(
                    db,
                    op: row.op ?? .insert,
                    pk: row.pk ?? [:],
                    row: row.row,
                    epoch: row.journalEpoch ?? "",
                    seq: row.commitSeq ?? 0,
                    now: now
                )
            }
            let failed = Set(outcome.leftOver.map(\.index))
            var bytes: Int64 = 0
            for (index, row) in rows.enumerated() {
                if failed.contains(index) {
                    try db.cachedStatement(sql: "UPDATE staged_row SET reason = 'materialization_failed' WHERE id = ?")
                        .execute(arguments: [row.id])
                } else {
                    try db.cachedStatement(sql: "DELETE FROM staged_row WHERE id = ?").execute(arguments: [row.id])
                    bytes += row.bytes
                }
            }
            let done = rows.count - failed.count
            progress.replayed = done
            progress.controls = outcome.controls
            try db.execute(
                sql: """
                    UPDATE lineage SET staged_row_count = staged_row_count - ?, staged_bytes = staged_bytes - ?, updated_at = ? WHERE id = ?
                    """,
                arguments: [done, bytes, now.ns, lineageID]
            )
            try self.retireIfDue(db, lineageID: lineageID, now: now)
            let remaining =
                try Int64.fetchOne(db, sql: "SELECT staged_row_count FROM lineage WHERE id = ?", arguments: [lineageID])
                ?? 0
            let lastError =
                outcome.leftOver.isEmpty
                ? nil
                : try String.fetchOne(
                    db,
                    sql: "SELECT last_materialization_error FROM lineage WHERE id = ?",
                    arguments: [lineageID]
                )
            try db.execute(
                sql: """
                    UPDATE replay_intent SET state = ?, replayed_rows = replayed_rows + ?, last_error = COALESCE(?, last_error), updated_at = ?
                    WHERE id = ?
                    """,
                arguments: [remaining == 0 ? "completed" : "running", done, lastError, now.ns, intent["id"] as String]
            )
            if remaining == 0 {
                progress.completed = true
                try db.execute(sql: "DELETE FROM mirror_tombstone WHERE lineage_id = ?", arguments: [lineageID])
                let lineage = try Row.fetchOne(
                    db,
                    sql: "SELECT project_id, device_id, source_table FROM lineage WHERE id = ?",
                    arguments: [lineageID]
                )!
                let total =
                    try Int64.fetchOne(
                        db,
                        sql: "SELECT replayed_rows FROM replay_intent WHERE id = ?",
                        arguments: [intent["id"] as String]
                    ) ?? 0
                try insertEvent(
                    db,
                    projectID: lineage["project_id"],
                    deviceID: lineage["device_id"],
                    lineageID: lineageID,
                    kind: .replayCompleted,
                    outcome: "completed",
                    message: "\(lineage["source_table"] as String): \(total) staged rows replayed",
                    at: now
                )
            }
            return progress
        }
    }

    /// Queues a replay for an active lineage with staged rows, unless one is open.
    func ensureReplayIntent(_ db: Database, lineageID: String, now: Timestamp) throws {
        guard
            let lineage = try Row.fetchOne(
                db,
                sql: "SELECT status, staged_row_count FROM lineage WHERE id = ?",
                arguments: [lineageID]
            ),
            (lineage["status"] as String) == LineageStatus.active.rawValue, (lineage["staged_row_count"] as Int64) > 0,
            try Bool.fetchOne(
                db,
                sql: "SELECT 1 FROM replay_intent WHERE lineage_id = ? AND state IN ('pending', 'running')",
                arguments: [lineageID]
            ) != true
        else { return }
        try db.execute(
            sql: """
                INSERT INTO replay_intent (id, lineage_id, state, total_rows, created_at, updated_at) VALUES (?, ?, 'pending', ?, ?, ?)
                """,
            arguments: [ids.next().description, lineageID, lineage["staged_row_count"] as Int64, now.ns, now.ns]
        )
    }

    /// Pauses the device's publishing of a lineage whose staged rows or bytes exceed the policy's
    /// caps (docs/spec/governance.md, "Backpressure"). An active lineage becomes paused (`backpressure`);
    /// one already paused for a review keeps its reason, but the device is told to stop too.
    /// The next staged rows of a lineage in replay order (commit order, or time for samples).
    /// Its conditions match the partial indexes' (v4), so the order comes from an index.
    static func replayBatchSQL(rows: Bool) -> String {
        let (kind, order) =
            rows ? ("commit_seq IS NOT NULL", "journal_epoch, commit_seq, id") : ("ts_ns IS NOT NULL", "ts_ns, id")
        return "SELECT \(stagedRowColumns) FROM staged_row WHERE lineage_id = ? AND \(kind) ORDER BY \(order) LIMIT ?"
    }

    func applyBackpressure(
        _ db: Database,
        lineageID: String,
        projectID: String,
        fleetID: String,
        now: Timestamp
    ) throws -> [OutboundControl] {
        guard
            let lineage = try Row.fetchOne(
                db,
                sql: "SELECT staged_row_count, staged_bytes, device_paused FROM lineage WHERE id = ?",
                arguments: [lineageID]
            ),
            (lineage["device_paused"] as Int) == 0
        else { return [] }
        let policy = try policy(db, projectID: projectID, fleetID: fleetID)
        let rows: Int64 = lineage["staged_row_count"]
        let bytes: Int64 = lineage["staged_bytes"]
        guard rows > policy.maxPendingRowsPerLineage || bytes > policy.maxPendingBytesPerLineage else { return [] }
        return try pause(
            db,
            lineageID: lineageID,
            reason: .backpressure,
            now: now,
            message:
                "\(rows) staged rows / \(bytes) bytes exceed the caps (\(policy.maxPendingRowsPerLineage) / \(policy.maxPendingBytesPerLineage))"
        )
    }

    /// The periodic backpressure sweep: every lineage the server paused on the device whose
    /// backlog is below `resume_threshold_percent` of both caps resumes (`resume_lineage`).
    public func sweepBackpressure(now: Timestamp) async throws -> [OutboundControl] {
        try await pool.write { db in
            let candidates = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, project_id, fleet_id, staged_row_count, staged_bytes, status, pause_reason FROM lineage
                    WHERE device_paused = 1 AND (pause_reason IS NULL OR pause_reason != 'materialization_failure')
                    """
            )
            var controls: [OutboundControl] = []
            for lineage in candidates {
                let policy = try self.policy(db, projectID: lineage["project_id"], fleetID: lineage["fleet_id"])
                let percent = Int64(policy.resumeThresholdPercent)
                guard (lineage["staged_row_count"] as Int64) * 100 < policy.maxPendingRowsPerLineage * percent,
                    (lineage["staged_bytes"] as Int64) * 100 < policy.maxPendingBytesPerLineage * percent
                else { continue }
                controls += try self.resume(
                    db,
                    lineageID: lineage["id"],
                    now: now,
                    message: "backlog below \(percent)% of the caps"
                )
            }
            return controls
        }
    }

    /// Lifts a server-side pause: a lineage paused for backpressure or the breaker becomes active
    /// (queueing its replay); one paused for a review only lets the device publish again.
    func resume(_ db: Database, lineageID: String, now: Timestamp, message: String) throws -> [OutboundControl] {
        let lineage = try Row.fetchOne(db, sql: "SELECT * FROM lineage WHERE id = ?", arguments: [lineageID])!
        switch (lineage["pause_reason"] as String?).flatMap(PauseReason.init) {
        case .schemaReview?, .rejected?:
            return try resumeDevice(db, lineage, now: now)
        default:
            return try activate(db, lineageID: lineageID, now: now, message: message)
        }
    }
}

import EdgeSyncModels
import GRDB

/// What materializing a run of rows did.
struct MaterializationOutcome {
    /// Change of the target's row count.
    var delta = 0
    var applied = 0
    /// Rows that did not land, each with why, in input order (to be staged).
    var leftOver: [(index: Int, reason: StagingReason)] = []
    var controls: [OutboundControl] = []
}

extension SQLiteGovernanceStore {
    /// Applies `count` items to a lineage's target, each in its own savepoint so one bad row never
    /// undoes the others. A failure is left over for staging: transient ones for a retry,
    /// permanent ones counting toward the breaker, which after `breakerThreshold` consecutive
    /// permanent failures pauses the lineage and tells the device (docs/spec/governance.md, "Circuit breaker").
    func materialize(
        _ db: Database,
        lineageID: String,
        count: Int,
        now: Timestamp,
        apply: (inout MirrorWriter, Int) throws -> Int
    ) throws -> MaterializationOutcome {
        var outcome = MaterializationOutcome()
        guard let target = try target(db, lineageID: lineageID),
            let lineage = try Row.fetchOne(
                db,
                sql: "SELECT device_id, staged_row_count, consecutive_failures FROM lineage WHERE id = ?",
                arguments: [lineageID]
            )
        else {
            outcome.leftOver = (0..<count).map { ($0, .lineagePaused) }
            return outcome
        }
        var writer = MirrorWriter(
            target: target,
            lineageID: lineageID,
            deviceID: lineage["device_id"],
            keepTombstones: (lineage["staged_row_count"] as Int64) > 0
        )
        var consecutive: Int = lineage["consecutive_failures"]
        // Fast path: the whole run in one savepoint. Only when a row fails is it rolled back and
        // redone row by row, so a good batch pays for two statements, not two per row.
        var delta = 0
        do {
            try db.inSavepoint {
                for index in 0..<count { delta += try apply(&writer, index) }
                return .commit
            }
            outcome.delta = delta
            outcome.applied = count
            if count > 0, consecutive > 0 {
                try db.execute(sql: "UPDATE lineage SET consecutive_failures = 0 WHERE id = ?", arguments: [lineageID])
            }
            try db.execute(
                sql: "UPDATE lineage SET mirrored_row_count = mirrored_row_count + ? WHERE id = ?",
                arguments: [delta, lineageID]
            )
            return outcome
        } catch {
            writer.keepTombstones = (lineage["staged_row_count"] as Int64) > 0
        }
        var lastError: String?
        var failures = 0
        var tripped = false
        for index in 0..<count {
            guard !tripped else {
                outcome.leftOver.append((index, .lineagePaused))
                continue
            }
            do {
                try db.inSavepoint {
                    outcome.delta += try apply(&writer, index)
                    return .commit
                }
                outcome.applied += 1
                consecutive = 0
            } catch {
                let failure = MaterializationError.classify(error)
                lastError = failure.description
                failures += 1
                writer.keepTombstones = true
                outcome.leftOver.append((index, .materializationFailed))
                if case .permanent = failure { consecutive += 1 }
                tripped = consecutive >= Self.breakerThreshold
            }
        }
        try db.execute(
            sql: """
                UPDATE lineage SET mirrored_row_count = mirrored_row_count + ?, consecutive_failures = ?,
                materialization_failure_count = materialization_failure_count + ?, last_materialization_error = COALESCE(?, last_materialization_error)
                WHERE id = ?
                """,
            arguments: [outcome.delta, consecutive, failures, lastError, lineageID]
        )
        if let lastError {
            let device = try deviceIdentity(db, id: lineage["device_id"])
            try insertEvent(
                db,
                projectID: device?.projectID ?? "",
                deviceID: device?.id,
                lineageID: lineageID,
                kind: .materializationFailed,
                outcome: tripped ? "breaker_open" : "staged",
                message: lastError,
                at: now
            )
        }
        if tripped {
            outcome.controls += try pause(
                db,
                lineageID: lineageID,
                reason: .materializationFailure,
                now: now,
                message: "\(Self.breakerThreshold) consecutive materialization failures; last: \(lastError ?? "")"
            )
        }
        return outcome
    }

    /// Consecutive permanent failures that open the breaker.
    static let breakerThreshold = 5

    /// Pauses a lineage for backpressure or the breaker and queues `pause_lineage` for the device.
    func pause(
        _ db: Database,
        lineageID: String,
        reason: PauseReason,
        now: Timestamp,
        message: String
    ) throws -> [OutboundControl] {
        let lineage = try Row.fetchOne(db, sql: "SELECT * FROM lineage WHERE id = ?", arguments: [lineageID])!
        // A lineage already paused (for its review) keeps that reason: it is what the operator must act on.
        try db.execute(
            sql: """
                UPDATE lineage SET pause_reason = CASE WHEN status = 'paused' THEN pause_reason ELSE ? END, status = 'paused', device_paused = 1,
                updated_at = ? WHERE id = ?
                """,
            arguments: [reason.rawValue, now.ns, lineageID]
        )
        try insertEvent(
            db,
            projectID: lineage["project_id"],
            deviceID: lineage["device_id"],
            lineageID: lineageID,
            kind: .lineagePaused,
            outcome: reason.rawValue,
            message: message,
            at: now
        )
        guard let device = try deviceIdentity(db, id: lineage["device_id"]) else { return [] }
        let control = DownlinkControl(
            controlID: ids.next().description,
            payload: .pauseLineage(
                sourceTable: lineage["source_table"],
                serverWatermark: Self.lineage(lineage).serverWatermark,
                reason: reason.rawValue
            )
        )
        return [try insertControl(db, device: device, lineageID: lineageID, control: control, now: now)]
    }
}

import EdgeSyncModels
import Foundation

/// The effects the rules decide, applied in order inside the transaction that read their state.
/// Returns the controls queued, to deliver once the transaction has committed.
extension SQLGovernanceStore {
    @discardableResult
    func apply(_ effects: [GovernanceEffect], _ tx: any SQLTransaction, now: Timestamp) throws -> [OutboundControl] {
        var controls: [OutboundControl] = []
        for effect in effects {
            switch effect {
            case .setStatus(let lineageID, let status, let reason):
                try tx.execute(
                    "UPDATE lineage SET status = ?, pause_reason = ?, updated_at = ? WHERE id = ?",
                    [.text(status.rawValue), SQLValue(reason?.rawValue), .integer(now.ns), .text(lineageID)]
                )
            case .setDevicePaused(let lineageID, let paused):
                try tx.execute(
                    "UPDATE lineage SET device_paused = ? WHERE id = ?",
                    [SQLValue(paused), .text(lineageID)]
                )
            case .sendControl(let lineageID, let deviceID, let payload):
                guard let device = try Self.deviceIdentity(tx, id: deviceID) else { continue }
                let control = DownlinkControl(controlID: ids.next().description, payload: payload)
                controls.append(try insertControl(tx, device: device, lineageID: lineageID, control: control, now: now))
            case .openReplay(let lineageID):
                try tx.execute(
                    """
                    INSERT INTO replay_intent (id, lineage_id, state, total_rows, created_at, updated_at)
                    SELECT ?, id, 'pending', staged_row_count, ?, ? FROM lineage WHERE id = ?
                    """,
                    [.text(ids.next().description), .integer(now.ns), .integer(now.ns), .text(lineageID)]
                )
            case .record(let event):
                try Self.insertEvent(tx, event, at: now)
            case .recordSchemaVersion(let version):
                try tx.execute(
                    """
                    INSERT INTO schema_version (lineage_id, schema_hash, columns_json, classification, decision, first_seen_at,
                    approved_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        .text(version.lineageID), .text(version.hash), SQLValue(version.columnsJSON),
                        .text(version.classification.rawValue), .text(version.decision.rawValue), .integer(now.ns),
                        version.decision == .approved ? .integer(now.ns) : .null,
                    ]
                )
            case .fillSchemaColumns(let lineageID, let hash, let json):
                try tx.execute(
                    "UPDATE schema_version SET columns_json = ? WHERE lineage_id = ? AND schema_hash = ?",
                    [.text(json), .text(lineageID), .text(hash)]
                )
            case .setCurrentSchema(let lineageID, let hash):
                try tx.execute("UPDATE lineage SET schema_hash = ? WHERE id = ?", [.text(hash), .text(lineageID)])
            case .decideSchemaVersion(let lineageID, let hash, let decision):
                try tx.execute(
                    "UPDATE schema_version SET decision = ? WHERE lineage_id = ? AND schema_hash = ?",
                    [.text(decision.rawValue), .text(lineageID), .text(hash)]
                )
            case .approveSchemaVersion(let lineageID, let hash, let json):
                try tx.execute(
                    """
                    UPDATE schema_version SET decision = 'approved', approved_at = ?, columns_json = COALESCE(columns_json, ?)
                    WHERE lineage_id = ? AND schema_hash = ?
                    """,
                    [.integer(now.ns), .text(json), .text(lineageID), .text(hash)]
                )
            case .queueReview(let draft):
                try queueReview(draft, tx, now: now)
            case .updateReview(let reviewID, let update):
                try Self.updateReview(reviewID, update, tx, now: now)
            case .adoptRegistryEntry(let lineageID, let entryID):
                try adopt(lineageID: lineageID, entryID: entryID, tx, now: now)
            case .decideRegistryEntry(let entryID, let decision, let bindings):
                try decideRegistryEntry(entryID, decision, bindings: bindings, tx, now: now)
            case .registerSharedTarget(let entry, let table):
                try registerSharedTarget(entry, table: table, tx, now: now)
            case .provisionTarget(let target):
                try provision(target, tx)
            case .replaceBindings(let lineageID, let hash, let bindings):
                try replaceBindings(lineageID: lineageID, hash: hash, bindings, tx, now: now)
            case .setTarget(let lineageID, let table, let authority):
                try tx.execute(
                    "UPDATE lineage SET mirror_table = ?, sync_authority = COALESCE(?, sync_authority), updated_at = ? WHERE id = ?",
                    [.text(table), SQLValue(authority?.rawValue), .integer(now.ns), .text(lineageID)]
                )
            case .recordMaterialization(let record):
                try tx.execute(
                    """
                    UPDATE lineage SET mirrored_row_count = mirrored_row_count + ?, consecutive_failures = ?,
                    materialization_failure_count = materialization_failure_count + ?,
                    last_materialization_error = COALESCE(?, last_materialization_error) WHERE id = ?
                    """,
                    [
                        .integer(Int64(record.rowDelta)), .integer(Int64(record.consecutiveFailures)),
                        .integer(Int64(record.failures)), SQLValue(record.lastError), .text(record.lineageID),
                    ]
                )
            case .resetBreaker(let lineageID):
                try tx.execute(
                    """
                    UPDATE lineage SET consecutive_failures = 0, materialization_failure_count = 0,
                    last_materialization_error = NULL WHERE id = ?
                    """,
                    [.text(lineageID)]
                )
                try tx.execute(
                    "UPDATE replay_intent SET last_error = NULL WHERE lineage_id = ? AND state IN ('pending', 'running')",
                    [.text(lineageID)]
                )
            case .noteSnapshotEnd(let lineageID, let epoch, let through):
                try tx.execute(
                    "UPDATE lineage SET retire_epoch = ?, retire_through = ? WHERE id = ?",
                    [.text(epoch), .integer(through), .text(lineageID)]
                )
            case .retire(let lineageID, let epoch):
                try retire(lineageID: lineageID, epoch: epoch, tx, now: now)
            case .progressReplay(let intentID, let replayed, let completed, let lastError):
                try tx.execute(
                    """
                    UPDATE replay_intent SET state = ?, replayed_rows = replayed_rows + ?, last_error = COALESCE(?, last_error),
                    updated_at = ? WHERE id = ?
                    """,
                    [
                        .text(completed ? "completed" : "running"), .integer(Int64(replayed)), SQLValue(lastError),
                        .integer(now.ns), .text(intentID),
                    ]
                )
                if completed {
                    try tx.execute(
                        "DELETE FROM mirror_tombstone WHERE lineage_id = (SELECT lineage_id FROM replay_intent WHERE id = ?)",
                        [.text(intentID)]
                    )
                }
            }
        }
        return controls
    }

    static func insertEvent(_ tx: any SQLTransaction, _ event: GovernanceEvent, at time: Timestamp) throws {
        try tx.execute(
            "INSERT INTO event (time, project_id, device_id, lineage_id, kind, outcome, message) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                .integer(time.ns), .text(event.projectID), SQLValue(event.deviceID), SQLValue(event.lineageID),
                .text(event.kind.rawValue), .text(event.outcome), .text(event.message),
            ]
        )
    }

    static func updateReview(_ id: String, _ update: ReviewUpdate, _ tx: any SQLTransaction, now: Timestamp) throws {
        switch update {
        case .claimed(let name, let token):
            try tx.execute(
                """
                UPDATE schema_review SET status = 'in_review', claimed_by = ?, claimed_by_token = ?, claimed_at = ?,
                action_version = action_version + 1, updated_at = ? WHERE id = ?
                """,
                [.text(name), .text(token), .integer(now.ns), .integer(now.ns), .text(id)]
            )
        case .decided(let status, let by, let reason):
            try tx.execute(
                """
                UPDATE schema_review SET status = ?, decided_by = COALESCE(?, decided_by), decided_at = ?,
                reason = COALESCE(?, reason), action_version = action_version + 1, updated_at = ? WHERE id = ?
                """,
                [.text(status.rawValue), SQLValue(by), .integer(now.ns), SQLValue(reason), .integer(now.ns), .text(id)]
            )
        }
    }

    /// A review for the lineage, or for its scope's registry with the entry it decides.
    private func queueReview(_ draft: ReviewDraft, _ tx: any SQLTransaction, now: Timestamp) throws {
        let id = ids.next().description
        let registry = draft.scope != .device
        if registry, let replaced = draft.replacing {
            try tx.execute(
                "UPDATE registry_entry SET review_id = ?, updated_at = ? WHERE review_id = ?",
                [.text(id), .integer(now.ns), .text(replaced)]
            )
        } else if registry {
            try tx.execute(
                """
                INSERT INTO registry_entry (id, project_id, scope, fleet_id, source_table, schema_hash, columns_json, decision,
                review_id, strategy, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)
                """,
                [
                    .text(ids.next().description), .text(draft.projectID), .text(draft.scope.rawValue),
                    .text(draft.fleetID),
                    .text(draft.sourceTable), .text(draft.hash), SQLValue(draft.columnsJSON), .text(id),
                    .text(draft.strategy.rawValue), .integer(now.ns), .integer(now.ns),
                ]
            )
        }
        try tx.execute(
            """
            INSERT INTO schema_review (id, project_id, scope, lineage_id, device_id, fleet_id, source_table, strategy, schema_hash,
            previous_schema_hash, classification, classification_reason, status, action_version, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 1, ?, ?)
            """,
            [
                .text(id), .text(draft.projectID), .text(draft.scope.rawValue),
                registry ? .null : .text(draft.lineageID),
                registry ? .null : .text(draft.deviceID), draft.fleetID.isEmpty ? .null : .text(draft.fleetID),
                .text(draft.sourceTable), .text(draft.strategy.rawValue), .text(draft.hash),
                SQLValue(draft.previousHash),
                .text(draft.classification.rawValue), .text(draft.reason), .integer(now.ns), .integer(now.ns),
            ]
        )
        try Self.insertEvent(
            tx,
            GovernanceEvent(
                projectID: draft.projectID,
                deviceID: draft.deviceID,
                lineageID: draft.lineageID,
                kind: .reviewQueued,
                outcome: draft.classification.rawValue,
                message: draft.message
            ),
            at: now
        )
    }
}

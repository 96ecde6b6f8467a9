import EdgeSyncModels

/// A re-snapshot's retirement (docs/spec/wire-protocol.md, "Re-snapshot"): when it is due, and deleting
/// the mirror rows of older epochs.
extension SQLGovernanceStore {
    /// Retires once every row at or below the recorded snapshot end has landed.
    func retireIfDue(_ tx: any SQLTransaction, lineageID: String, now: Timestamp) throws {
        var state = try Self.retirement(tx, lineageID: lineageID)
        guard let pending = state.pending else { return }
        let staged = try tx.exists(
            """
            SELECT 1 FROM staged_row WHERE lineage_id = ? AND commit_seq IS NOT NULL
            AND (journal_epoch < ? OR (journal_epoch = ? AND commit_seq <= ?)) LIMIT 1
            """,
            [.text(lineageID), .text(pending.epoch), .text(pending.epoch), .integer(pending.through)]
        )
        let hasMirror = try Self.target(tx, lineageID: lineageID)?.kind == .mirror
        try apply(
            Retirement.due(lineageID: lineageID, &state, stagedAtOrBelowEnd: staged, hasMirror: hasMirror),
            tx,
            now: now
        )
    }

    /// Deletes the mirror rows of the device with epochs older than `epoch`.
    func retire(lineageID: String, epoch: String, _ tx: any SQLTransaction, now: Timestamp) throws {
        guard let target = try Self.target(tx, lineageID: lineageID),
            let lineage = try Self.lineageState(tx, id: lineageID)
        else { return }
        let table = SQLIdentifier.quote(target.table)
        let removed =
            target.coalesced
            ? try tx.execute(
                "DELETE FROM \(table) WHERE _device_id = ? AND _journal_epoch < ?",
                [.text(lineage.deviceID), .text(epoch)]
            )
            : try tx.execute("DELETE FROM \(table) WHERE _journal_epoch < ?", [.text(epoch)])
        try tx.execute(
            """
            UPDATE lineage SET mirrored_row_count = \(dialect.greatest("0", "mirrored_row_count - ?")), retired_before_epoch = ?,
            retire_epoch = NULL, retire_through = NULL, updated_at = ? WHERE id = ?
            """,
            [.integer(Int64(removed)), .text(epoch), .integer(now.ns), .text(lineageID)]
        )
        try Self.insertEvent(
            tx,
            GovernanceEvent(
                lineage,
                .rowsRetired,
                outcome: String(removed),
                message:
                    "\(lineage.sourceTable): the snapshot of journal_epoch \(epoch) is in; \(removed) rows the device no longer has were removed"
            ),
            at: now
        )
    }
}

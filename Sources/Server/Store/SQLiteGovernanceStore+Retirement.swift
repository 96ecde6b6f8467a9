import EdgeSyncModels
import GRDB

/// A re-snapshot converges the mirror, deletes included (docs/spec/wire-protocol.md, "Re-snapshot"):
/// a device that starts a new journal epoch sends every row it holds at or below the epoch's
/// `snapshot_through_commit_seq`. Once those rows have all landed (none is still staged), mirror
/// rows of older epochs are rows the device no longer has, and are retired; rows of older
/// epochs that arrive later can no longer bring one back.
extension SQLiteGovernanceStore {
    /// Whether rows of `epoch` are older than the lineage's last retirement.
    func isRetired(_ db: Database, lineageID: String, epoch: String) throws -> Bool {
        guard
            let retired = try String.fetchOne(
                db,
                sql: "SELECT retired_before_epoch FROM lineage WHERE id = ?",
                arguments: [lineageID]
            )
        else { return false }
        return epoch < retired
    }

    /// Records the end of an epoch's snapshot (the newest epoch's wins), to retire once it is due.
    func noteSnapshotEnd(_ db: Database, lineageID: String, epoch: String, through: Int64) throws {
        try db.execute(
            sql: """
                UPDATE lineage SET retire_epoch = ?, retire_through = ? WHERE id = ?
                AND (retire_epoch IS NULL OR retire_epoch <= ?) AND (retired_before_epoch IS NULL OR retired_before_epoch < ?)
                """,
            arguments: [epoch, through, lineageID, epoch, epoch]
        )
    }

    /// Retires the mirror rows of epochs older than a recorded snapshot end once every row up to
    /// it has landed in the mirror.
    func retireIfDue(_ db: Database, lineageID: String, now: Timestamp) throws {
        guard
            let lineage = try Row.fetchOne(
                db,
                sql:
                    "SELECT retire_epoch, retire_through, device_id, project_id, source_table FROM lineage WHERE id = ?",
                arguments: [lineageID]
            ),
            let epoch = lineage["retire_epoch"] as String?, let through = lineage["retire_through"] as Int64?,
            let target = try target(db, lineageID: lineageID), target.kind == .mirror
        else { return }
        let waiting = try Bool.fetchOne(
            db,
            sql: """
                SELECT 1 FROM staged_row WHERE lineage_id = ? AND commit_seq IS NOT NULL
                AND (journal_epoch < ? OR (journal_epoch = ? AND commit_seq <= ?)) LIMIT 1
                """,
            arguments: [lineageID, epoch, epoch, through]
        )
        guard waiting != true else { return }
        let deviceID: String = lineage["device_id"]
        let table = SQLIdentifier.quote(target.table)
        if target.coalesced {
            try db.execute(
                sql: "DELETE FROM \(table) WHERE _device_id = ? AND _journal_epoch < ?",
                arguments: [deviceID, epoch]
            )
        } else {
            try db.execute(sql: "DELETE FROM \(table) WHERE _journal_epoch < ?", arguments: [epoch])
        }
        let removed = db.changesCount
        try db.execute(
            sql: """
                UPDATE lineage SET mirrored_row_count = MAX(0, mirrored_row_count - ?), retired_before_epoch = ?,
                retire_epoch = NULL, retire_through = NULL, updated_at = ? WHERE id = ?
                """,
            arguments: [removed, epoch, now.ns, lineageID]
        )
        try insertEvent(
            db,
            projectID: lineage["project_id"],
            deviceID: deviceID,
            lineageID: lineageID,
            kind: .rowsRetired,
            outcome: String(removed),
            message:
                "\(lineage["source_table"] as String): the snapshot of journal_epoch \(epoch) is in; \(removed) rows the device no longer has were removed",
            at: now
        )
    }
}

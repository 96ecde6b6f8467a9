import EdgeSyncModels
import GRDB

/// Rows of the store as API resources.
extension SQLiteGovernanceStore {
    static func lineage(_ row: Row) -> Lineage {
        Lineage(
            id: row["id"],
            projectID: row["project_id"],
            deviceID: row["device_id"],
            deviceName: row["device_name"],
            fleetID: row["fleet_id"],
            sourceTable: row["source_table"],
            strategy: LineageStrategy(rawValue: row["strategy"]) ?? .rows,
            status: LineageStatus(rawValue: row["status"]) ?? .paused,
            pauseReason: (row["pause_reason"] as String?).flatMap(PauseReason.init),
            syncAuthority: SyncAuthority(rawValue: row["sync_authority"]) ?? .deviceAuthoritative,
            schemaHash: row["schema_hash"],
            stagedRowCount: row["staged_row_count"],
            stagedBytes: row["staged_bytes"],
            mirroredRowCount: row["mirrored_row_count"],
            lastBatchAt: Timestamp(ns: row["last_batch_at"] as Int64?),
            lastCommitSeq: row["last_commit_seq"],
            lastBatchSeq: row["last_batch_seq"],
            materializationFailureCount: row["materialization_failure_count"],
            lastMaterializationError: row["last_materialization_error"],
            mirrorTable: row["mirror_table"],
            createdAt: Timestamp(ns: row["created_at"]),
            updatedAt: Timestamp(ns: row["updated_at"])
        )
    }

    /// The columns `stagedRow` reads, in its order: select exactly these. By position, because
    /// the replay maps every staged row and a by-name read lowercases both names each time.
    static let stagedRowColumns =
        "id, lineage_id, commit_seq, journal_epoch, ts_ns, op, pk_json, row_json, reason, schema_hash, bytes, received_at"

    static func stagedRow(_ row: Row) -> StagedRow {
        StagedRow(
            id: row[0],
            lineageID: row[1],
            commitSeq: row[2],
            journalEpoch: row[3],
            ts: Timestamp(ns: row[4] as Int64?),
            op: (row[5] as String?).flatMap(RowOperation.init),
            pk: (row[6] as String?).flatMap(object),
            row: (row[7] as String?).flatMap(object),
            reason: StagingReason(rawValue: row[8]) ?? .schemaReview,
            schemaHash: row[9],
            bytes: row[10],
            receivedAt: Timestamp(ns: row[11])
        )
    }

    static func ledgerEntry(_ row: Row) -> BatchLedgerEntry {
        BatchLedgerEntry(
            id: row["id"],
            receivedAt: Timestamp(ns: row["received_at"]),
            deviceID: row["device_id"],
            deviceName: row["device_name"],
            lineageID: row["lineage_id"],
            sourceTable: row["source_table"],
            batchID: row["batch_id"],
            kind: UplinkTopic(rawValue: row["topic_suffix"]) ?? .rowBatch,
            rowCount: row["row_count"],
            bytes: row["bytes"],
            outcome: BatchOutcome(rawValue: row["outcome"]) ?? .rejected,
            rejectionCode: (row["rejection_code"] as String?).flatMap(RejectionCode.init),
            rejectionMessage: row["rejection_message"]
        )
    }

    static func review(_ row: Row) -> SchemaReview {
        SchemaReview(
            id: row["id"],
            projectID: row["project_id"],
            scope: ReviewScope(rawValue: row["scope"]) ?? .device,
            lineageID: row["lineage_id"],
            deviceID: row["device_id"],
            deviceName: row["device_name"],
            fleetID: row["fleet_id"],
            sourceTable: row["source_table"],
            strategy: LineageStrategy(rawValue: row["strategy"]) ?? .rows,
            schemaHash: row["schema_hash"],
            classification: SchemaClassification(rawValue: row["classification"]) ?? .unknown,
            classificationReason: row["classification_reason"],
            status: ReviewStatus(rawValue: row["status"]) ?? .queued,
            actionVersion: row["action_version"],
            claimedBy: row["claimed_by"],
            claimedAt: Timestamp(ns: row["claimed_at"] as Int64?),
            decidedBy: row["decided_by"],
            decidedAt: Timestamp(ns: row["decided_at"] as Int64?),
            reason: row["reason"],
            stagedRowCount: row["staged_row_count"] ?? 0,
            createdAt: Timestamp(ns: row["created_at"]),
            updatedAt: Timestamp(ns: row["updated_at"])
        )
    }

    static func pendingControl(_ row: Row) -> PendingControl {
        PendingControl(
            id: row["id"],
            deviceID: row["device_id"],
            kind: DownlinkControl.Kind(rawValue: row["kind"]) ?? .batchRejected,
            sourceTable: row["source_table"],
            createdAt: Timestamp(ns: row["created_at"]),
            sentCount: row["sent_count"],
            lastSentAt: Timestamp(ns: row["last_sent_at"] as Int64?),
            ackedAt: Timestamp(ns: row["acked_at"] as Int64?)
        )
    }

    static func object(_ json: String) -> JSONObject? {
        (try? JSONParser().parse(json))?.objectValue
    }
}

import EdgeSyncModels

/// Rows of the store as API resources.
extension SQLGovernanceStore {
    static func lineage(_ row: SQLRow) -> Lineage {
        Lineage(
            id: row.string("id"),
            projectID: row.string("project_id"),
            deviceID: row.string("device_id"),
            deviceName: row.string("device_name"),
            fleetID: row.string("fleet_id"),
            sourceTable: row.string("source_table"),
            strategy: LineageStrategy(rawValue: row.string("strategy")) ?? .rows,
            status: LineageStatus(rawValue: row.string("status")) ?? .paused,
            pauseReason: row.optionalString("pause_reason").flatMap(PauseReason.init),
            syncAuthority: SyncAuthority(rawValue: row.string("sync_authority")) ?? .deviceAuthoritative,
            schemaHash: row.optionalString("schema_hash"),
            stagedRowCount: row.int64("staged_row_count"),
            stagedBytes: row.int64("staged_bytes"),
            mirroredRowCount: row.int64("mirrored_row_count"),
            lastBatchAt: Timestamp(ns: row.optionalInt64("last_batch_at")),
            lastCommitSeq: row.optionalInt64("last_commit_seq"),
            lastBatchSeq: row.optionalInt64("last_batch_seq"),
            materializationFailureCount: row.int("materialization_failure_count"),
            lastMaterializationError: row.optionalString("last_materialization_error"),
            mirrorTable: row.optionalString("mirror_table"),
            createdAt: Timestamp(ns: row.int64("created_at")),
            updatedAt: Timestamp(ns: row.int64("updated_at"))
        )
    }

    /// The columns `stagedRow` reads, in its order: select exactly these. By position, because
    /// the replay maps every staged row and a by-name read lowercases both names each time.
    static let stagedRowColumns =
        "id, lineage_id, commit_seq, journal_epoch, ts_ns, op, pk_json, row_json, reason, schema_hash, bytes, received_at, row_id"

    static func stagedRow(_ row: SQLRow) -> StagedRow {
        StagedRow(
            id: row[0].integer ?? 0,
            lineageID: row[1].text ?? "",
            commitSeq: row[2].integer,
            journalEpoch: row[3].text,
            ts: Timestamp(ns: row[4].integer),
            op: row[5].text.flatMap(RowOperation.init),
            pk: row[6].text.flatMap(object),
            row: row[7].text.flatMap(object),
            reason: row[8].text.flatMap(StagingReason.init) ?? .schemaReview,
            schemaHash: row[9].text ?? "",
            bytes: row[10].integer ?? 0,
            receivedAt: Timestamp(ns: row[11].integer ?? 0),
            rowID: row[12].text
        )
    }

    static func ledgerEntry(_ row: SQLRow) -> BatchLedgerEntry {
        BatchLedgerEntry(
            id: row.int64("id"),
            receivedAt: Timestamp(ns: row.int64("received_at")),
            deviceID: row.string("device_id"),
            deviceName: row.string("device_name"),
            lineageID: row.optionalString("lineage_id"),
            sourceTable: row.optionalString("source_table"),
            batchID: row.optionalString("batch_id"),
            kind: UplinkTopic(rawValue: row.string("topic_suffix")) ?? .rowBatch,
            rowCount: row.int("row_count"),
            bytes: row.int("bytes"),
            outcome: BatchOutcome(rawValue: row.string("outcome")) ?? .rejected,
            rejectionCode: row.optionalString("rejection_code").flatMap(RejectionCode.init),
            rejectionMessage: row.optionalString("rejection_message"),
            payloadKept: row.bool("payload_kept"),
            reingestedEntryID: row.optionalInt64("reingested_entry_id")
        )
    }

    static func review(_ row: SQLRow) -> SchemaReview {
        SchemaReview(
            id: row.string("id"),
            projectID: row.string("project_id"),
            scope: ReviewScope(rawValue: row.string("scope")) ?? .device,
            lineageID: row.optionalString("lineage_id"),
            deviceID: row.optionalString("device_id"),
            deviceName: row.optionalString("device_name"),
            fleetID: row.optionalString("fleet_id"),
            sourceTable: row.string("source_table"),
            strategy: LineageStrategy(rawValue: row.string("strategy")) ?? .rows,
            schemaHash: row.string("schema_hash"),
            classification: SchemaClassification(rawValue: row.string("classification")) ?? .unknown,
            classificationReason: row.string("classification_reason"),
            status: ReviewStatus(rawValue: row.string("status")) ?? .queued,
            actionVersion: row.int("action_version"),
            claimedBy: row.optionalString("claimed_by"),
            claimedAt: Timestamp(ns: row.optionalInt64("claimed_at")),
            decidedBy: row.optionalString("decided_by"),
            decidedAt: Timestamp(ns: row.optionalInt64("decided_at")),
            reason: row.optionalString("reason"),
            stagedRowCount: row.int64("staged_row_count"),
            createdAt: Timestamp(ns: row.int64("created_at")),
            updatedAt: Timestamp(ns: row.int64("updated_at"))
        )
    }

    static func pendingControl(_ row: SQLRow) -> PendingControl {
        PendingControl(
            id: row.string("id"),
            deviceID: row.string("device_id"),
            kind: DownlinkControl.Kind(rawValue: row.string("kind")) ?? .batchRejected,
            sourceTable: row.optionalString("source_table"),
            createdAt: Timestamp(ns: row.int64("created_at")),
            sentCount: row.int("sent_count"),
            lastSentAt: Timestamp(ns: row.optionalInt64("last_sent_at")),
            ackedAt: Timestamp(ns: row.optionalInt64("acked_at"))
        )
    }

    static func object(_ json: String) -> JSONObject? {
        (try? JSONParser().parse(json))?.objectValue
    }
}

import EdgeSyncModels

extension SQLGovernanceStore {
    /// One message, one transaction: ledger entry, dedup, lineage, schema version and review,
    /// staging, controls and events commit together or not at all (other messages' may share the
    /// COMMIT, see `SQLBackend.groupWrite`).
    public func commit(_ plan: IngestPlan) async throws -> IngestResult {
        try await backend.groupWrite { tx in
            switch plan.content {
            case .rejection(let rejection):
                let lineage = try rejection.sourceTable.flatMap {
                    try Self.lineageState(tx, deviceID: plan.device.id, table: $0)
                }
                return try self.reject(tx, plan, rejection, lineageID: lineage?.id)
            case .observation(let table, let hash, let columnsJSON):
                try tx.execute(
                    """
                    INSERT INTO observed_schema (device_id, source_table, schema_hash, columns_json, observed_at)
                    VALUES (?, ?, ?, ?, ?) ON CONFLICT (device_id, source_table, schema_hash) DO UPDATE SET
                    columns_json = COALESCE(excluded.columns_json, observed_schema.columns_json), observed_at = excluded.observed_at
                    """,
                    [
                        .text(plan.device.id), .text(table), .text(hash), SQLValue(columnsJSON),
                        .integer(plan.receivedAt.ns),
                    ]
                )
                return IngestResult(outcome: nil)
            case .rowBatch(let batch):
                return try self.commitRows(tx, plan, batch)
            case .telemetryBatch(let batch):
                return try self.commitTelemetry(tx, plan, batch)
            }
        }
    }

    private func commitRows(
        _ tx: any SQLTransaction,
        _ plan: IngestPlan,
        _ batch: PlannedRowBatch
    ) throws -> IngestResult {
        var lineage = try lineageForBatch(tx, plan, table: batch.sourceTable, strategy: .rows)
        if let mismatch = BatchAdmission.strategyMismatch(lineage, incoming: .rows, batchID: batch.batchID) {
            return try reject(tx, plan, mismatch, lineageID: lineage.id)
        }
        let now = plan.receivedAt.ns
        var retirement = try Self.retirement(tx, lineageID: lineage.id)
        if let through = batch.snapshotThrough {
            try apply(
                Retirement.snapshotEnd(lineageID: lineage.id, epoch: batch.journalEpoch, through: through, &retirement),
                tx,
                now: plan.receivedAt
            )
        }
        // An epoch older than the last re-snapshot holds history the snapshot replaced: a duplicate.
        let fresh =
            Retirement.isRetired(batch.journalEpoch, retirement)
            ? [] : try firstSeen(tx, device: plan.device.id, batch: batch)
        guard let highest = fresh.map(\.commitSeq).max() else {
            try retireIfDue(tx, lineageID: lineage.id, now: plan.receivedAt)
            try tx.execute(
                "UPDATE lineage SET last_batch_at = ?, updated_at = ? WHERE id = ?",
                [.integer(now), .integer(now), .text(lineage.id)]
            )
            return try ledger(
                tx,
                plan,
                lineageID: lineage.id,
                table: batch.sourceTable,
                batchID: batch.batchID,
                rows: batch.rows.count,
                outcome: .duplicate
            )
        }
        var controls = try governSchema(tx, plan, lineage: &lineage, schema: batch.schema)
        var outcome = MaterializationOutcome()
        if let reason = lineage.stagingReason {
            outcome.leftOver = fresh.indices.map { ($0, reason) }
        } else {
            let changes = fresh.map {
                RowChange(
                    op: $0.op,
                    pk: $0.pk,
                    pkHash: $0.pkHash,
                    row: $0.row,
                    epoch: batch.journalEpoch,
                    seq: $0.commitSeq
                )
            }
            outcome = try materialize(tx, &lineage, count: fresh.count, now: plan.receivedAt) { writer, range in
                try writer.apply(tx, changes[range], now: plan.receivedAt)
            }
        }
        var stagedBytes = 0
        try stage(
            tx,
            outcome.leftOver.map { index, why in
                let row = fresh[index]
                let (rowJSON, bytes) = row.staged()
                stagedBytes += bytes
                return [
                    .text(lineage.id), .integer(row.commitSeq), .text(batch.journalEpoch), .text(row.op.rawValue),
                    .text(row.pkJSON), SQLValue(rowJSON), .null, .null, .text(why.rawValue),
                    .text(batch.schema.hash), .integer(Int64(bytes)), .integer(now), .text(row.pkHash),
                ]
            }
        )
        try tx.execute(
            """
            UPDATE lineage SET staged_row_count = staged_row_count + ?, staged_bytes = staged_bytes + ?, last_batch_at = ?,
            last_commit_seq = \(dialect.greatest("COALESCE(last_commit_seq, 0)", "?")), updated_at = ? WHERE id = ?
            """,
            [
                .integer(Int64(outcome.leftOver.count)), .integer(Int64(stagedBytes)), .integer(now), .integer(highest),
                .integer(now), .text(lineage.id),
            ]
        )
        try retireIfDue(tx, lineageID: lineage.id, now: plan.receivedAt)
        controls += outcome.controls
        return try finish(
            tx,
            plan,
            lineageID: lineage.id,
            table: batch.sourceTable,
            batchID: batch.batchID,
            rows: batch.rows.count,
            outcome: outcome,
            controls: controls
        )
    }

    /// The ledger entry and, after staging, the backpressure check and the replay of rows a live
    /// materialization had to leave behind.
    private func finish(
        _ tx: any SQLTransaction,
        _ plan: IngestPlan,
        lineageID: String,
        table: String,
        batchID: String,
        rows: Int,
        outcome: MaterializationOutcome,
        controls: [OutboundControl]
    ) throws -> IngestResult {
        var controls = controls
        if !outcome.leftOver.isEmpty, var lineage = try Self.lineageState(tx, id: lineageID) {
            let policy = try Self.policy(tx, projectID: plan.device.projectID, fleetID: plan.device.fleetID)
            let effects = Backpressure.afterStaging(&lineage, policy: policy) + LineageLifecycle.ensureReplay(&lineage)
            controls += try apply(effects, tx, now: plan.receivedAt)
        }
        var result = try ledger(
            tx,
            plan,
            lineageID: lineageID,
            table: table,
            batchID: batchID,
            rows: rows,
            outcome: outcome.leftOver.isEmpty ? .materialized : .staged
        )
        result.stagedRows = outcome.leftOver.count
        result.controls = controls
        return result
    }

    private func commitTelemetry(
        _ tx: any SQLTransaction,
        _ plan: IngestPlan,
        _ batch: PlannedTelemetryBatch
    ) throws -> IngestResult {
        var lineage = try lineageForBatch(tx, plan, table: batch.sourceTable, strategy: .telemetry)
        if let mismatch = BatchAdmission.strategyMismatch(lineage, incoming: .telemetry, batchID: batch.batchID) {
            return try reject(tx, plan, mismatch, lineageID: lineage.id)
        }
        let device = SQLValue.text(plan.device.id)
        let table = SQLValue.text(batch.sourceTable)
        // The three probes in one statement: a good part of a one-sample publish's commit on
        // SQLite went to running statements, and each is a round trip to PostgreSQL.
        let seen = try tx.first(
            """
            SELECT CASE WHEN EXISTS (SELECT 1 FROM telemetry_batch WHERE device_id = ? AND batch_id = ?) THEN 1 ELSE 0 END,
            CASE WHEN EXISTS (SELECT 1 FROM telemetry_batch WHERE device_id = ? AND source_table = ? AND batch_seq = ?)
            THEN 1 ELSE 0 END,
            (SELECT MAX(batch_seq) FROM telemetry_batch WHERE device_id = ? AND source_table = ?)
            """,
            [device, .text(batch.batchID), device, table, .integer(batch.batchSeq), device, table]
        )?.values
        let verdict = TelemetrySequence.check(
            batchSeq: batch.batchSeq,
            epoch: batch.journalEpoch,
            currentEpoch: lineage.telemetryEpoch,
            sameBatchSeen: seen?[0].integer == 1,
            seqUsedByAnotherBatch: seen?[1].integer == 1,
            highestAccepted: seen?[2].integer
        )
        switch verdict {
        case .duplicate:
            return try ledger(
                tx,
                plan,
                lineageID: lineage.id,
                table: batch.sourceTable,
                batchID: batch.batchID,
                rows: batch.samples.count,
                outcome: .duplicate
            )
        case .reject(let code, let message):
            let rejection = PayloadRejection(
                code: code,
                message: message,
                batchID: batch.batchID,
                sourceTable: batch.sourceTable
            )
            return try reject(tx, plan, rejection, lineageID: lineage.id)
        case .accept:
            break
        case .restart:
            // The older epoch's batches are stale from now on: their sequence is forgotten.
            try tx.execute("DELETE FROM telemetry_batch WHERE device_id = ? AND source_table = ?", [device, table])
            try tx.execute(
                "UPDATE lineage SET telemetry_epoch = ? WHERE id = ?",
                [.text(batch.journalEpoch), .text(lineage.id)]
            )
        }
        try tx.execute(
            "INSERT INTO telemetry_batch VALUES (?, ?, ?, ?)",
            [device, table, .text(batch.batchID), .integer(batch.batchSeq)]
        )
        var controls = try governSchema(tx, plan, lineage: &lineage, schema: batch.schema)
        let now = plan.receivedAt.ns
        var outcome = MaterializationOutcome()
        if let reason = lineage.stagingReason {
            outcome.leftOver = batch.samples.indices.map { ($0, reason) }
        } else {
            let samples = batch.samples.map { Sample(ts: $0.ts, rowID: $0.rowID, fields: $0.fields) }
            outcome = try materialize(tx, &lineage, count: samples.count, now: plan.receivedAt) { writer, range in
                try writer.append(tx, samples[range])
                return range.count
            }
        }
        try stage(
            tx,
            outcome.leftOver.map { index, why in
                let sample = batch.samples[index]
                return [
                    .text(lineage.id), .null, .null, .null, .null, .text(sample.fieldsJSON), .integer(sample.ts.ns),
                    SQLValue(sample.rowID), .text(why.rawValue), .text(batch.schema.hash),
                    .integer(Int64(sample.bytes)),
                    .integer(now), .null,
                ]
            }
        )
        let stagedBytes = outcome.leftOver.reduce(0) { $0 + batch.samples[$1.index].bytes }
        try tx.execute(
            """
            UPDATE lineage SET staged_row_count = staged_row_count + ?, staged_bytes = staged_bytes + ?, last_batch_at = ?,
            last_batch_seq = ?, updated_at = ? WHERE id = ?
            """,
            [
                .integer(Int64(outcome.leftOver.count)), .integer(Int64(stagedBytes)), .integer(now),
                .integer(batch.batchSeq), .integer(now), .text(lineage.id),
            ]
        )
        controls += outcome.controls
        return try finish(
            tx,
            plan,
            lineageID: lineage.id,
            table: batch.sourceTable,
            batchID: batch.batchID,
            rows: batch.samples.count,
            outcome: outcome,
            controls: controls
        )
    }

    /// The batch's rows seen for the first time, in batch order: their dedup keys are inserted
    /// as a set, and `insertNew` tells which went in when not all did (a row repeated within the
    /// batch counts once, the first time).
    private func firstSeen(_ tx: any SQLTransaction, device: String, batch: PlannedRowBatch) throws -> [PlannedRow] {
        let inserted = try tx.insertNew(
            batch.rows.map {
                [
                    .text(device), .text(batch.sourceTable), .text(batch.journalEpoch), .text($0.pkHash),
                    .integer($0.commitSeq),
                ]
            },
            columns: [.text, .text, .text, .text, .integer],
            returning: "source_pk_hash, commit_seq"
        ) {
            "INSERT INTO row_dedup \($0) ON CONFLICT DO NOTHING"
        }
        // Each row inserts at most once: every one inserted is the usual case, and no set of keys
        // is needed to tell which.
        guard let rows = inserted else { return batch.rows }
        var insertedKeys = Set(rows.map { DedupKey(pkHash: $0[0].text ?? "", seq: $0[1].integer ?? 0) })
        return batch.rows.filter { insertedKeys.remove(DedupKey(pkHash: $0.pkHash, seq: $0.commitSeq)) != nil }
    }

    private struct DedupKey: Hashable {
        var pkHash: String
        var seq: Int64
    }

    /// Stages rows, each the values of `staged_row`'s columns in `stagedInsertColumns` order.
    func stage(_ tx: any SQLTransaction, _ rows: [[SQLValue]]) throws {
        try tx.rowSet(rows, columns: Self.stagedInsertTypes) {
            "INSERT INTO staged_row (\(Self.stagedInsertColumns)) \($0)"
        }
    }

    static let stagedInsertColumns =
        "lineage_id, commit_seq, journal_epoch, op, pk_json, row_json, ts_ns, row_id, reason, schema_hash, bytes, received_at, pk_hash"
    static let stagedInsertTypes: [SQLRowSetColumn] = [
        .text, .integer, .text, .text, .text, .text, .integer, .text, .text, .text, .integer, .integer, .text,
    ]

    /// Records a rejection: ledger entry with its code, the payload kept, a `batch_rejected`
    /// control, an event.
    func reject(
        _ tx: any SQLTransaction,
        _ plan: IngestPlan,
        _ rejection: PayloadRejection,
        lineageID: String?
    ) throws -> IngestResult {
        let table = rejection.sourceTable.map { String($0.prefix(WireLimits.maximumSourceTableBytes)) }
        var result = try ledger(
            tx,
            plan,
            lineageID: lineageID,
            table: table,
            batchID: rejection.batchID.map { String($0.prefix(64)) },
            rows: 0,
            outcome: .rejected,
            rejection: rejection
        )
        let kept = try result.ledgerID.map { try keepRejectedPayload(tx, plan, ledgerID: $0) } ?? []
        result.controls = try apply(
            [
                .sendControl(
                    lineageID: lineageID,
                    deviceID: plan.device.id,
                    .batchRejected(
                        sourceTable: rejection.sourceTable,
                        batchID: rejection.batchID,
                        reason: rejection.code,
                        message: rejection.message
                    )
                ),
                .record(
                    GovernanceEvent(
                        projectID: plan.device.projectID,
                        deviceID: plan.device.id,
                        lineageID: lineageID,
                        kind: .batchRejected,
                        outcome: rejection.code.rawValue,
                        message: rejection.message
                    )
                ),
            ] + kept,
            tx,
            now: plan.receivedAt
        )
        return result
    }

    private func ledger(
        _ tx: any SQLTransaction,
        _ plan: IngestPlan,
        lineageID: String?,
        table: String?,
        batchID: String?,
        rows: Int,
        outcome: BatchOutcome,
        rejection: PayloadRejection? = nil
    ) throws -> IngestResult {
        let id = try tx.value(
            """
            INSERT INTO batch_ledger (project_id, received_at, device_id, lineage_id, source_table, topic_suffix, batch_id,
            row_count, bytes, outcome, rejection_code, rejection_message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
            """,
            [
                .text(plan.device.projectID), .integer(plan.receivedAt.ns), .text(plan.device.id), SQLValue(lineageID),
                SQLValue(table),
                .text(plan.topic.rawValue), SQLValue(batchID), .integer(Int64(rows)), .integer(Int64(plan.bytes)),
                .text(outcome.rawValue), SQLValue(rejection?.code.rawValue), SQLValue(rejection?.message),
            ]
        )?.integer
        return IngestResult(outcome: outcome, lineageID: lineageID, ledgerID: id, rejection: rejection?.code)
    }
}

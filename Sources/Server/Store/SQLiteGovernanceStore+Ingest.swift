import EdgeSyncModels
import Foundation
import GRDB

extension SQLiteGovernanceStore {
    /// One message, one transaction: ledger entry, dedup, lineage, schema version and review,
    /// staging, controls and events commit together or not at all.
    public func commit(_ plan: IngestPlan) async throws -> IngestResult {
        try await pool.write { db in
            switch plan.content {
            case .rejection(let rejection):
                let lineage = try rejection.sourceTable.flatMap {
                    try self.lineageRow(db, deviceID: plan.device.id, table: $0)
                }
                return try self.reject(db, plan, rejection, lineageID: lineage?.id)
            case .observation(let table, let hash, let columnsJSON):
                try db.execute(
                    sql: """
                        INSERT INTO observed_schema (device_id, source_table, schema_hash, columns_json, observed_at)
                        VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET
                        columns_json = COALESCE(excluded.columns_json, columns_json), observed_at = excluded.observed_at
                        """,
                    arguments: [plan.device.id, table, hash, columnsJSON, plan.receivedAt.ns]
                )
                return IngestResult(outcome: nil)
            case .rowBatch(let batch):
                return try self.commitRows(db, plan, batch)
            case .telemetryBatch(let batch):
                return try self.commitTelemetry(db, plan, batch)
            }
        }
    }

    private func commitRows(_ db: Database, _ plan: IngestPlan, _ batch: PlannedRowBatch) throws -> IngestResult {
        let lineage = try lineageForBatch(db, plan, table: batch.sourceTable, strategy: .rows)
        guard lineage.strategy == .rows else {
            return try reject(db, plan, strategyMismatch(lineage, batchID: batch.batchID), lineageID: lineage.id)
        }
        let now = plan.receivedAt.ns
        if let through = batch.snapshotThrough {
            try noteSnapshotEnd(db, lineageID: lineage.id, epoch: batch.journalEpoch, through: through)
        }
        // An epoch older than the last re-snapshot holds history the snapshot replaced: a duplicate.
        let retired = try isRetired(db, lineageID: lineage.id, epoch: batch.journalEpoch)
        var fresh: [PlannedRow] = []
        for row in batch.rows where !retired {
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO row_dedup VALUES (?, ?, ?, ?, ?)").execute(
                arguments: [plan.device.id, batch.sourceTable, batch.journalEpoch, row.pkHash, row.commitSeq])
            if db.changesCount == 1 { fresh.append(row) }
        }
        guard !fresh.isEmpty else {
            try retireIfDue(db, lineageID: lineage.id, now: plan.receivedAt)
            try db.execute(
                sql: "UPDATE lineage SET last_batch_at = ?, updated_at = ? WHERE id = ?",
                arguments: [now, now, lineage.id]
            )
            return try ledger(
                db,
                plan,
                lineageID: lineage.id,
                table: batch.sourceTable,
                batchID: batch.batchID,
                rows: batch.rows.count,
                outcome: .duplicate
            )
        }
        let reason = try governSchema(db, plan, lineage: lineage, schema: batch.schema, strategy: .rows)
        var outcome = MaterializationOutcome()
        if reason == nil {
            outcome = try materialize(db, lineageID: lineage.id, count: fresh.count, now: plan.receivedAt) {
                writer,
                index in
                let row = fresh[index]
                return try writer.apply(
                    db,
                    op: row.op,
                    pk: row.pk,
                    row: row.row,
                    epoch: batch.journalEpoch,
                    seq: row.commitSeq,
                    now: plan.receivedAt
                )
            }
        } else {
            outcome.leftOver = fresh.indices.map { ($0, reason!) }
        }
        for (index, why) in outcome.leftOver {
            let row = fresh[index]
            try db.cachedStatement(
                sql: """
                    INSERT INTO staged_row (lineage_id, commit_seq, journal_epoch, op, pk_json, row_json, reason, schema_hash, bytes, received_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                lineage.id, row.commitSeq, batch.journalEpoch, row.op.rawValue, row.pkJSON, row.rowJSON,
                why.rawValue, batch.schema.hash, row.bytes, now,
            ])
        }
        let stagedBytes = outcome.leftOver.reduce(0) { $0 + fresh[$1.index].bytes }
        try db.execute(
            sql: """
                UPDATE lineage SET staged_row_count = staged_row_count + ?, staged_bytes = staged_bytes + ?, last_batch_at = ?,
                last_commit_seq = MAX(COALESCE(last_commit_seq, 0), ?), updated_at = ? WHERE id = ?
                """,
            arguments: [outcome.leftOver.count, stagedBytes, now, fresh.map(\.commitSeq).max()!, now, lineage.id]
        )
        try retireIfDue(db, lineageID: lineage.id, now: plan.receivedAt)
        return try finish(
            db,
            plan,
            lineage: lineage,
            table: batch.sourceTable,
            batchID: batch.batchID,
            rows: batch.rows.count,
            outcome: outcome
        )
    }

    /// The ledger entry and, after staging, the backpressure check and the replay of rows a live
    /// materialization had to leave behind.
    private func finish(
        _ db: Database,
        _ plan: IngestPlan,
        lineage: LineageRow,
        table: String,
        batchID: String,
        rows: Int,
        outcome: MaterializationOutcome
    ) throws -> IngestResult {
        var controls = outcome.controls
        if !outcome.leftOver.isEmpty {
            controls += try applyBackpressure(
                db,
                lineageID: lineage.id,
                projectID: plan.device.projectID,
                fleetID: plan.device.fleetID,
                now: plan.receivedAt
            )
            try ensureReplayIntent(db, lineageID: lineage.id, now: plan.receivedAt)
        }
        var result = try ledger(
            db,
            plan,
            lineageID: lineage.id,
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
        _ db: Database,
        _ plan: IngestPlan,
        _ batch: PlannedTelemetryBatch
    ) throws -> IngestResult {
        let lineage = try lineageForBatch(db, plan, table: batch.sourceTable, strategy: .telemetry)
        guard lineage.strategy == .telemetry else {
            return try reject(db, plan, strategyMismatch(lineage, batchID: batch.batchID), lineageID: lineage.id)
        }
        let device = plan.device.id
        if try Bool.fetchOne(
            db,
            sql: "SELECT 1 FROM telemetry_batch WHERE device_id = ? AND batch_id = ?",
            arguments: [device, batch.batchID]
        ) == true {
            return try ledger(
                db,
                plan,
                lineageID: lineage.id,
                table: batch.sourceTable,
                batchID: batch.batchID,
                rows: batch.samples.count,
                outcome: .duplicate
            )
        }
        let sequenceRule: (RejectionCode, String)?
        if try Bool.fetchOne(
            db,
            sql: "SELECT 1 FROM telemetry_batch WHERE device_id = ? AND source_table = ? AND batch_seq = ?",
            arguments: [device, batch.sourceTable, batch.batchSeq]
        ) == true {
            sequenceRule = (.duplicateBatchSeq, "batch_seq \(batch.batchSeq) was already used by another batch")
        } else if let highest = try Int64.fetchOne(
            db,
            sql: "SELECT MAX(batch_seq) FROM telemetry_batch WHERE device_id = ? AND source_table = ?",
            arguments: [device, batch.sourceTable]
        ), batch.batchSeq < highest {
            sequenceRule = (.staleBatchSeq, "batch_seq \(batch.batchSeq) is below the highest accepted, \(highest)")
        } else {
            sequenceRule = nil
        }
        if let (code, message) = sequenceRule {
            let rejection = PayloadRejection(
                code: code,
                message: message,
                batchID: batch.batchID,
                sourceTable: batch.sourceTable
            )
            return try reject(db, plan, rejection, lineageID: lineage.id)
        }
        try db.execute(
            sql: "INSERT INTO telemetry_batch VALUES (?, ?, ?, ?)",
            arguments: [device, batch.sourceTable, batch.batchID, batch.batchSeq]
        )
        let reason = try governSchema(db, plan, lineage: lineage, schema: batch.schema, strategy: .telemetry)
        let now = plan.receivedAt.ns
        var outcome = MaterializationOutcome()
        if reason == nil {
            outcome = try materialize(db, lineageID: lineage.id, count: batch.samples.count, now: plan.receivedAt) {
                writer,
                index in
                let sample = batch.samples[index]
                try writer.append(db, ts: sample.ts, rowID: sample.rowID, fields: sample.fields)
                return 1
            }
        } else {
            outcome.leftOver = batch.samples.indices.map { ($0, reason!) }
        }
        for (index, why) in outcome.leftOver {
            let sample = batch.samples[index]
            try db.cachedStatement(
                sql: """
                    INSERT INTO staged_row (lineage_id, ts_ns, row_id, row_json, reason, schema_hash, bytes, received_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                lineage.id, sample.ts.ns, sample.rowID, sample.fieldsJSON, why.rawValue, batch.schema.hash,
                sample.bytes, now,
            ])
        }
        let stagedBytes = outcome.leftOver.reduce(0) { $0 + batch.samples[$1.index].bytes }
        try db.execute(
            sql: """
                UPDATE lineage SET staged_row_count = staged_row_count + ?, staged_bytes = staged_bytes + ?, last_batch_at = ?,
                last_batch_seq = ?, updated_at = ? WHERE id = ?
                """,
            arguments: [outcome.leftOver.count, stagedBytes, now, batch.batchSeq, now, lineage.id]
        )
        return try finish(
            db,
            plan,
            lineage: lineage,
            table: batch.sourceTable,
            batchID: batch.batchID,
            rows: batch.samples.count,
            outcome: outcome
        )
    }

    /// Records a rejection: ledger entry with its code, a `batch_rejected` control, an event.
    func reject(
        _ db: Database,
        _ plan: IngestPlan,
        _ rejection: PayloadRejection,
        lineageID: String?
    ) throws -> IngestResult {
        let table = rejection.sourceTable.map { String($0.prefix(WireLimits.maximumSourceTableBytes)) }
        var result = try ledger(
            db,
            plan,
            lineageID: lineageID,
            table: table,
            batchID: rejection.batchID.map { String($0.prefix(64)) },
            rows: 0,
            outcome: .rejected,
            rejection: rejection
        )
        let control = DownlinkControl(
            controlID: ids.next().description,
            payload: .batchRejected(
                sourceTable: rejection.sourceTable,
                batchID: rejection.batchID,
                reason: rejection.code,
                message: rejection.message
            )
        )
        result.controls = [
            try insertControl(db, device: plan.device, lineageID: lineageID, control: control, now: plan.receivedAt)
        ]
        try insertEvent(
            db,
            projectID: plan.device.projectID,
            deviceID: plan.device.id,
            lineageID: lineageID,
            kind: .batchRejected,
            outcome: rejection.code.rawValue,
            message: rejection.message,
            at: plan.receivedAt
        )
        return result
    }

    private func ledger(
        _ db: Database,
        _ plan: IngestPlan,
        lineageID: String?,
        table: String?,
        batchID: String?,
        rows: Int,
        outcome: BatchOutcome,
        rejection: PayloadRejection? = nil
    ) throws -> IngestResult {
        try db.execute(
            sql: """
                INSERT INTO batch_ledger (project_id, received_at, device_id, lineage_id, source_table, topic_suffix, batch_id,
                row_count, bytes, outcome, rejection_code, rejection_message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                plan.device.projectID, plan.receivedAt.ns, plan.device.id, lineageID, table, plan.topic.rawValue,
                batchID,
                rows, plan.bytes, outcome.rawValue, rejection?.code.rawValue, rejection?.message,
            ]
        )
        return IngestResult(
            outcome: outcome,
            lineageID: lineageID,
            ledgerID: db.lastInsertedRowID,
            rejection: rejection?.code
        )
    }

    private func strategyMismatch(_ lineage: LineageRow, batchID: String) -> PayloadRejection {
        PayloadRejection(
            code: .invalidCaptureStrategy,
            message:
                "\(lineage.sourceTable) is a \(lineage.strategy.rawValue) lineage; delete it to change its strategy",
            batchID: batchID,
            sourceTable: lineage.sourceTable
        )
    }

    func insertControl(
        _ db: Database,
        device: DeviceIdentity,
        lineageID: String?,
        control: DownlinkControl,
        now: Timestamp
    ) throws -> OutboundControl {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = Array(try encoder.encode(control))
        let table: String? =
            switch control.payload {
            case .pauseLineage(let table, _, _), .resumeLineage(let table, _), .stateWrite(let table, _): table
            case .urlGrant(let grant): grant.sourceTable
            case .batchRejected(let table, _, _, _): table
            }
        try db.execute(
            sql: """
                INSERT INTO pending_control (id, project_id, device_id, lineage_id, kind, source_table, body, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                control.controlID, device.projectID, device.id, lineageID, control.kind.rawValue, table,
                String(decoding: body, as: UTF8.self), now.ns,
            ]
        )
        return OutboundControl(id: control.controlID, body: body, deviceName: device.name, topicSlug: device.topicSlug)
    }

    func insertEvent(
        _ db: Database,
        projectID: String,
        deviceID: String?,
        lineageID: String?,
        kind: EventKind,
        outcome: String,
        message: String,
        at time: Timestamp
    ) throws {
        try db.execute(
            sql:
                "INSERT INTO event (time, project_id, device_id, lineage_id, kind, outcome, message) VALUES (?, ?, ?, ?, ?, ?, ?)",
            arguments: [time.ns, projectID, deviceID, lineageID, kind.rawValue, outcome, message]
        )
    }

    public func acknowledgeControl(deviceID: String, controlID: String, at time: Timestamp) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE pending_control SET acked_at = ? WHERE id = ? AND device_id = ? AND acked_at IS NULL",
                arguments: [time.ns, controlID, deviceID]
            )
            guard db.changesCount == 1,
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT project_id, lineage_id, kind FROM pending_control WHERE id = ?",
                    arguments: [controlID]
                )
            else { return false }
            try self.insertEvent(
                db,
                projectID: row["project_id"],
                deviceID: deviceID,
                lineageID: row["lineage_id"],
                kind: .controlAcked,
                outcome: row["kind"],
                message: "control \(controlID) acknowledged",
                at: time
            )
            return true
        }
    }

    public func unacknowledgedControls(deviceID: String) async throws -> [OutboundControl] {
        try await pool.read { db in
            try self.outboundControls(
                db,
                where: "c.device_id = ? AND c.acked_at IS NULL ORDER BY c.created_at, c.id",
                [deviceID]
            )
        }
    }

    /// Unacknowledged controls last sent before `before`, to send again. Never-sent ones go out on
    /// connect (or right after their decision), not here: that would race the first delivery.
    public func controlsToResend(sentBefore before: Timestamp, limit: Int) async throws -> [OutboundControl] {
        try await pool.read { db in
            try self.outboundControls(
                db,
                where: "c.acked_at IS NULL AND c.last_sent_at < ? ORDER BY c.created_at LIMIT \(limit)",
                [before.ns]
            )
        }
    }

    private func outboundControls(
        _ db: Database,
        where condition: String,
        _ arguments: StatementArguments
    ) throws -> [OutboundControl] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT c.id, c.body, d.name, p.topic_slug FROM pending_control c JOIN device d ON d.id = c.device_id
                JOIN project p ON p.id = d.project_id WHERE \(condition)
                """,
            arguments: arguments
        ).map {
            OutboundControl(
                id: $0["id"],
                body: Array(($0["body"] as String).utf8),
                deviceName: $0["name"],
                topicSlug: $0["topic_slug"]
            )
        }
    }

    public func markControlsSent(ids: [String], at time: Timestamp) async throws {
        guard !ids.isEmpty else { return }
        try await pool.write { db in
            for id in ids {
                guard
                    let control = try Row.fetchOne(
                        db,
                        sql:
                            "SELECT project_id, device_id, lineage_id, kind, source_table, sent_count FROM pending_control WHERE id = ?",
                        arguments: [id]
                    )
                else { continue }
                try db.execute(
                    sql: "UPDATE pending_control SET sent_count = sent_count + 1, last_sent_at = ? WHERE id = ?",
                    arguments: [time.ns, id]
                )
                // The first delivery is the event; re-sends show as the control's sent count.
                if (control["sent_count"] as Int) == 0 {
                    try self.insertEvent(
                        db,
                        projectID: control["project_id"],
                        deviceID: control["device_id"],
                        lineageID: control["lineage_id"],
                        kind: .controlSent,
                        outcome: control["kind"],
                        message:
                            "\(control["kind"] as String) \(id)\((control["source_table"] as String?).map { " for " + $0 } ?? "")",
                        at: time
                    )
                }
            }
        }
    }

    public func recordEvent(device: DeviceIdentity, kind: EventKind, outcome: String, message: String) async throws {
        try await pool.write { db in
            try self.insertEvent(
                db,
                projectID: device.projectID,
                deviceID: device.id,
                lineageID: nil,
                kind: kind,
                outcome: outcome,
                message: message,
                at: .now
            )
        }
    }
}

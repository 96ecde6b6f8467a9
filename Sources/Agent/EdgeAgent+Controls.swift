import EdgeSyncModels
import Foundation
import GRDB
import MQTT
import NIOCore

extension EdgeAgent {
    /// ACK first, then act; a control already processed is ACKed again and ignored.
    func handle(_ message: MQTTMessage) async {
        guard
            let control = try? JSONDecoder().decode(DownlinkControl.self, from: Data(message.payload.readableBytesView))
        else {
            log("ignored a control that is not valid JSON")
            await message.acknowledge()
            return
        }
        do {
            let ack = #"{"format_version":1,"control_id":\#(CanonicalJSON.string(of: .string(control.controlID)))}"#
            try await client.publish(
                topic: root + "/" + UplinkTopic.ingestAck.rawValue,
                payload: ByteBuffer(string: ack)
            )
            if try !state.isProcessed(control.controlID) {
                try act(on: control)
                _ = try state.markProcessed(control.controlID)
            }
        } catch {
            log("control \(control.controlID): \(error)")
        }
        await message.acknowledge()
    }

    func act(on control: DownlinkControl) throws {
        switch control.payload {
        case .pauseLineage(let table, let watermark, let reason):
            var progress = try state.progress(table)
            progress.paused = true
            progress.watermark = watermark
            try state.save(progress)
            try state.report(table: table, "paused by the server (\(reason)) at watermark \(watermark)")
        case .resumeLineage(let table, let watermark):
            var progress = try state.progress(table)
            progress.paused = false
            progress.watermark = watermark
            try state.save(progress)
            // The pause may have left a backlog worth uploading: look again now.
            backlogChecks[table] = nil
            wake()
        case .stateWrite(let table, let rows):
            try applyStateWrite(table: table, rows: rows)
            wake()
        case .batchRejected(let table, let batchID, let reason, let message):
            let name = table ?? "?"
            try state.report(table: table, "batch \(batchID ?? "?") rejected: \(reason.rawValue) \(message ?? "")")
            if let table { try recordError(table, "batch \(batchID ?? "?") rejected: \(reason.rawValue)") }
            // The server acknowledged (and recorded) the batch: it is already done here; a batch
            // still outbound with that id is dropped, never resent.
            if let table, let outbound = try state.outbound(table), outbound.batchID == batchID {
                _ = try state.complete(outbound)
                log("\(name): dropped rejected batch \(outbound.batchID)")
            }
        case .urlGrant(let grant):
            guard var spill = try state.spill(grant.sourceTable), spill.lastSeq == nil else {
                try state.report(
                    table: grant.sourceTable,
                    "url_grant \(grant.batchID) not asked for (or an upload is under way); ignored"
                )
                return
            }
            spill.batchID = grant.batchID.description
            spill.url = grant.presignedURL
            spill.expiresAt = grant.expiresAt.seconds
            try state.saveSpill(spill)
            wake()
        }
    }

    /// Upserts cloud-authoritative rows into the local table (the triggers journal them like any
    /// write) and remembers each row's cloud version for `lkcv`.
    func applyStateWrite(table name: String, rows: [StateWriteRow]) throws {
        guard let table = tables[name], !table.primaryKey.isEmpty else {
            try state.report(table: name, "state_write for a table this agent does not capture as rows; ignored")
            return
        }
        try source.write { db in
            for row in rows {
                let values =
                    row.pk.members + row.values.members.filter { member in !table.primaryKey.contains(member.key) }
                let known = Set(table.columnNames)
                let columns = values.filter { known.contains($0.key) }
                let names = columns.map { SQLIdentifier.quote($0.key) }.joined(separator: ", ")
                let updates = columns.filter { !table.primaryKey.contains($0.key) }.map {
                    "\(SQLIdentifier.quote($0.key)) = excluded.\(SQLIdentifier.quote($0.key))"
                }
                let conflict = table.primaryKey.map(SQLIdentifier.quote).joined(separator: ", ")
                try db.execute(
                    sql: """
                        INSERT INTO \(SQLIdentifier.quote(name)) (\(names)) VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))
                        ON CONFLICT (\(conflict)) DO \(updates.isEmpty ? "NOTHING" : "UPDATE SET " + updates.joined(separator: ", "))
                        """,
                    arguments: StatementArguments(columns.map { Self.databaseValue($0.value) })
                )
            }
        }
        for row in rows {
            try state.setCloudVersion(
                table: name,
                pk: PrimaryKeyHash.canonicalJSON(of: row.pk),
                version: row.cloudVersion
            )
        }
    }

    static func databaseValue(_ value: JSONValue) -> DatabaseValue {
        switch value {
        case .null: .null
        case .bool(let flag): (flag ? 1 : 0).databaseValue
        case .integer(let number): number.databaseValue
        case .double(let number): number.databaseValue
        case .string(let text): text.databaseValue
        case .object(let object) where object.count == 1:
            if case .string(let hex)? = object["$hex"], let bytes = Hex.decode(hex) {
                Data(bytes).databaseValue
            } else {
                CanonicalJSON.string(of: value).databaseValue
            }
        case .object, .array: CanonicalJSON.string(of: value).databaseValue
        }
    }

    /// Recomputes fingerprints; a changed table gets new triggers (its other tables keep going),
    /// an advisory `sync/schema/observe`, and `schema_columns` on its next batch.
    func detectDrift() throws {
        let current = try source.read { db in try CaptureSchema.discover(db, configuration: self.configuration) }
        for table in current { try adopt(table) }
    }

    /// Takes a table's current shape: new tables start capture; a changed one gets new triggers,
    /// an advisory observation and (through the sent-hash check) `schema_columns` on its next batch.
    private func adopt(_ table: SourceTable) throws {
        let known = tables[table.name]
        guard known?.fingerprint != table.fingerprint else { return }
        tables[table.name] = table
        if table.problems.isEmpty, table.strategy == .rows {
            try source.write { db in try Self.ensureCapture(db, table, snapshotIfNew: false) }
        }
        guard known != nil else { return }
        log("\(table.name): schema changed (\(table.fingerprint.schemaHash.prefix(12)))")
        let observation = SchemaObservation(
            sourceTable: table.name,
            schemaHash: table.fingerprint.schemaHash,
            observedAt: .now,
            schemaColumns: table.fingerprint
        )
        let body = try JSONEncoder().encode(observation)
        Task {
            try? await client.publish(
                topic: root + "/" + UplinkTopic.schemaObservation.rawValue,
                payload: ByteBuffer(bytes: body)
            )
        }
    }

    /// A paused table's journal is the durable buffer, up to `local_retention_bytes`; beyond that
    /// its oldest rows are dropped (reported) and the table re-snapshots when it resumes.
    func enforceRetention(_ table: SourceTable, _ progress: inout TableProgress) throws {
        guard table.strategy == .rows else { return }
        let limit = configuration.localRetentionBytes
        let dropped = try source.write { db -> Int in
            var dropped = 0
            while try CaptureSchema.pending(db, table: table.name).bytes > limit {
                try db.execute(
                    sql: """
                        DELETE FROM "\(CaptureSchema.journal)" WHERE commit_seq IN (SELECT commit_seq FROM "\(CaptureSchema.journal)" WHERE table_name = ?
                        ORDER BY commit_seq LIMIT 1000)
                        """,
                    arguments: [table.name]
                )
                dropped += db.changesCount
            }
            return dropped
        }
        guard dropped > 0 else { return }
        progress.needsResnapshot = true
        try state.save(progress)
        try state.dropOutbound(table.name)
        try state.report(
            table: table.name,
            "paused journal over \(limit) bytes: dropped the \(dropped) oldest rows; the table re-snapshots on resume"
        )
        log("\(table.name): retention dropped \(dropped) journal rows; re-snapshot on resume")
    }

    /// Replaces the table's journal with a snapshot of its current rows under a new
    /// journal_epoch, in one transaction.
    func resnapshot(_ table: SourceTable, _ progress: inout TableProgress) throws {
        let epoch = UUIDv7Generator.shared.next().description
        try source.write { db in
            try db.execute(
                sql: "DELETE FROM \"\(CaptureSchema.journal)\" WHERE table_name = ?",
                arguments: [table.name]
            )
            try db.execute(
                sql: "UPDATE \"\(CaptureSchema.meta)\" SET journal_epoch = ? WHERE table_name = ?",
                arguments: [epoch, table.name]
            )
            try CaptureSchema.snapshot(db, table)
        }
        try state.dropOutbound(table.name)
        progress.needsResnapshot = false
        try state.save(progress)
        try state.report(table: table.name, "re-snapshot under journal_epoch \(epoch)")
    }
}

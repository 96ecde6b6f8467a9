import EdgeSyncModels
import MQTT
import NIOCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension EdgeAgent {
    /// ACK first, then act; a control already processed is ACKed again and ignored.
    func handle(_ message: MQTTMessage) async {
        guard
            let control = try? JSONDecoder().decode(DownlinkControl.self, from: Data(message.payload.readableBytesView))
        else {
            log(.warning, "control_invalid", "ignored a control that is not valid JSON")
            await message.acknowledge()
            return
        }
        do {
            let ack = #"{"format_version":1,"control_id":\#(CanonicalJSON.string(of: .string(control.controlID)))}"#
            try await client.publish(
                topic: root + "/" + UplinkTopic.ingestAck.rawValue,
                payload: ByteBuffer(string: ack)
            )
            if case .serverHello(let encodings) = control.payload {
                // Said anew on every connection, never kept: only this connection's matters.
                contentEncodings =
                    configuration.compression ? Set(encodings.compactMap(ContentEncoding.init(rawValue:))) : []
            } else if try await !state.isProcessed(control.controlID) {
                try await act(on: control)
                _ = try await state.markProcessed(control.controlID)
            }
        } catch {
            log(.error, "control_failed", "control \(control.controlID): \(error)")
        }
        await message.acknowledge()
    }

    func act(on control: DownlinkControl) async throws {
        switch control.payload {
        case .pauseLineage(let table, let watermark, let reason):
            try await state.update(table) {
                $0.paused = true
                $0.watermark = watermark
            }
            try await report(table, "lineage_paused", "paused by the server (\(reason)) at watermark \(watermark)")
        case .resumeLineage(let table, let watermark):
            try await state.update(table) {
                $0.paused = false
                $0.watermark = watermark
            }
            log(.notice, "lineage_resumed", "resumed by the server at watermark \(watermark)", table: table)
            wake()
        case .stateWrite(let table, let rows):
            try await applyStateWrite(table: table, rows: rows)
            wake()
        case .batchRejected(let table, let batchID, let reason, let message):
            try await report(
                table,
                "batch_rejected",
                level: .error,
                "batch \(batchID ?? "?") rejected: \(reason.rawValue) \(message ?? "")"
            )
            guard let table else { return }
            try await recordError(table, "batch \(batchID ?? "?") rejected: \(reason.rawValue)")
            // The server acknowledged (and keeps) the batch: it is done here; a batch still
            // outbound with that id is dropped, never resent.
            if let batchID, let outbound = try await state.outbound(table, batchID: batchID) {
                try await state.complete(outbound)
                log(.warning, "rejected_batch_dropped", "dropped rejected batch \(outbound.batchID)", table: table)
            }
        case .serverHello:
            break
        case .urlGrant(let grant):
            guard var spill = try await state.spill(grant.sourceTable), spill.lastSeq == nil else {
                try await report(
                    grant.sourceTable,
                    "url_grant_ignored",
                    level: .warning,
                    "url_grant \(grant.batchID) not asked for (or an upload is under way); ignored"
                )
                return
            }
            spill.batchID = grant.batchID.description
            spill.url = grant.presignedURL
            spill.expiresAt = grant.expiresAt.seconds
            try await state.saveSpill(spill)
            wake()
        }
    }

    /// Upserts cloud-authoritative rows into the local table (the triggers journal them like any
    /// write) and remembers each row's cloud version for `lkcv`.
    func applyStateWrite(table name: String, rows: [StateWriteRow]) async throws {
        guard let table = tables[name], !table.primaryKey.isEmpty, table.strategy == .rows else {
            try await report(
                name,
                "state_write_ignored",
                level: .warning,
                "state_write for a table this agent does not capture as rows; ignored"
            )
            return
        }
        try await source.write { db in
            let known = Set(table.columnNames)
            for row in rows {
                let values = row.pk.members + row.values.members.filter { !table.primaryKey.contains($0.key) }
                let columns = values.filter { known.contains($0.key) }
                let names = columns.map { SQLIdentifier.quote($0.key) }.joined(separator: ", ")
                let updates = columns.filter { !table.primaryKey.contains($0.key) }.map {
                    "\(SQLIdentifier.quote($0.key)) = excluded.\(SQLIdentifier.quote($0.key))"
                }
                let conflict = table.primaryKey.map(SQLIdentifier.quote).joined(separator: ", ")
                let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ", ")
                try db.run(
                    """
                    INSERT INTO \(SQLIdentifier.quote(name)) (\(names)) VALUES (\(placeholders))
                    ON CONFLICT (\(conflict)) DO \(updates.isEmpty ? "NOTHING" : "UPDATE SET " + updates.joined(separator: ", "))
                    """,
                    columns.map { WireJSON.sqliteValue($0.value) }
                )
            }
        }
        try await state.setCloudVersions(
            table: name,
            rows.map { (PrimaryKeyHash.canonicalJSON(of: $0.pk), $0.cloudVersion) }
        )
    }
}

import EdgeSyncModels
import GRDB

/// Operator actions on a lineage and reads of its target.
extension SQLiteGovernanceStore {
    /// Clears the breaker; a lineage it had paused becomes active and, if the device was told to
    /// pause, gets `resume_lineage`.
    public func resetMaterialization(
        lineageID: String,
        projectID: String,
        now: Timestamp
    ) async throws -> (ResetMaterializationResponse, [OutboundControl]) {
        try await pool.write { db in
            guard
                let lineage = try Row.fetchOne(
                    db,
                    sql: "SELECT * FROM lineage WHERE id = ? AND project_id = ?",
                    arguments: [lineageID, projectID]
                )
            else { throw APIError(.notFound, "no lineage \(lineageID)") }
            try db.execute(
                sql:
                    "UPDATE lineage SET consecutive_failures = 0, materialization_failure_count = 0, last_materialization_error = NULL WHERE id = ?",
                arguments: [lineageID]
            )
            var controls: [OutboundControl] = []
            if (lineage["pause_reason"] as String?) == PauseReason.materializationFailure.rawValue {
                controls = try self.resume(db, lineageID: lineageID, now: now, message: "materialization reset")
            }
            try db.execute(
                sql:
                    "UPDATE replay_intent SET last_error = NULL WHERE lineage_id = ? AND state IN ('pending', 'running')",
                arguments: [lineageID]
            )
            let after = try Row.fetchOne(
                db,
                sql: "SELECT status, staged_row_count FROM lineage WHERE id = ?",
                arguments: [lineageID]
            )!
            return (
                ResetMaterializationResponse(
                    lineageID: lineageID,
                    status: LineageStatus(rawValue: after["status"]) ?? .paused,
                    resumed: !controls.isEmpty,
                    stagedRowCount: after["staged_row_count"]
                ), controls
            )
        }
    }

    /// Removes the lineage's cloud state: staged rows, ledger, reviews, bindings, dedup keys,
    /// pending controls and its target (nothing on the device).
    public func deleteLineage(id: String, projectID: String, now: Timestamp) async throws {
        try await pool.write { db in
            guard try self.deleteLineage(db, id: id, projectID: projectID, now: now) else {
                throw APIError(.notFound, "no lineage \(id)")
            }
        }
    }

    /// Deletes a device with all its lineages and credentials; its history (events) stays.
    public func deleteDevice(id: String, projectID: String, now: Timestamp) async throws {
        try await pool.write { db in
            guard
                try Bool.fetchOne(
                    db,
                    sql: "SELECT 1 FROM device WHERE id = ? AND project_id = ?",
                    arguments: [id, projectID]
                ) == true
            else { throw APIError(.notFound, "no device \(id)") }
            for lineage in try String.fetchAll(db, sql: "SELECT id FROM lineage WHERE device_id = ?", arguments: [id]) {
                _ = try self.deleteLineage(db, id: lineage, projectID: projectID, now: now)
            }
            for table in ["batch_ledger", "pending_control", "observed_schema", "data_point"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE device_id = ?", arguments: [id])
            }
            try db.execute(sql: "DELETE FROM device WHERE id = ?", arguments: [id])
        }
    }

    private func deleteLineage(_ db: Database, id: String, projectID: String, now: Timestamp) throws -> Bool {
        guard
            let lineage = try Row.fetchOne(
                db,
                sql: "SELECT * FROM lineage WHERE id = ? AND project_id = ?",
                arguments: [id, projectID]
            )
        else { return false }
        let deviceID: String = lineage["device_id"]
        let table: String = lineage["source_table"]
        if let target = lineage["mirror_table"] as String?, try db.tableExists(target) {
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM coalesced_mirror WHERE mirror_table = ?", arguments: [target])
                == true
            {
                let column =
                    (try db.columns(in: target).contains { $0.name == "_device_id" }) ? "_device_id" : "device_id"
                try db.execute(
                    sql: "DELETE FROM \(SQLIdentifier.quote(target)) WHERE \(column) = ?",
                    arguments: [deviceID]
                )
            } else {
                try db.execute(sql: "DROP TABLE \(SQLIdentifier.quote(target))")
            }
        }
        try db.execute(sql: "DELETE FROM staged_row WHERE lineage_id = ?", arguments: [id])
        for statement in [
            "DELETE FROM batch_ledger WHERE lineage_id = ?", "DELETE FROM schema_review WHERE lineage_id = ?",
            "DELETE FROM pending_control WHERE lineage_id = ?",
        ] {
            try db.execute(sql: statement, arguments: [id])
        }
        for statement in [
            "DELETE FROM row_dedup WHERE device_id = ? AND source_table = ?",
            "DELETE FROM telemetry_batch WHERE device_id = ? AND source_table = ?",
            "DELETE FROM observed_schema WHERE device_id = ? AND source_table = ?",
        ] {
            try db.execute(sql: statement, arguments: [deviceID, table])
        }
        try db.execute(sql: "DELETE FROM lineage WHERE id = ?", arguments: [id])
        try insertEvent(
            db,
            projectID: projectID,
            deviceID: deviceID,
            lineageID: id,
            kind: .lineageDeleted,
            outcome: "deleted",
            message: "\(lineage["device_name"] as String)/\(table): lineage and its cloud state deleted",
            at: now
        )
        return true
    }

    /// A page of the lineage's target. `order` names a target column (`-` in front: descending);
    /// `query` keeps rows where any text column contains it.
    public func mirrorRows(
        lineageID: String,
        page: PageRequest,
        order: String?,
        query: String?
    ) async throws -> (items: [JSONObject], total: Int) {
        try await pool.read { db in
            guard
                let lineage = try Row.fetchOne(
                    db,
                    sql: "SELECT mirror_table, mirrored_row_count, device_id FROM lineage WHERE id = ?",
                    arguments: [lineageID]
                ),
                let table = lineage["mirror_table"] as String?, try db.tableExists(table)
            else { return ([], 0) }
            let columns = try db.columns(in: table)
            // A shared (coalesced) target holds every device of the scope; a lineage sees its own rows.
            let shared =
                try Bool.fetchOne(db, sql: "SELECT 1 FROM coalesced_mirror WHERE mirror_table = ?", arguments: [table])
                == true
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if shared {
                conditions.append(
                    columns.contains { $0.name == "_device_id" } ? "\"_device_id\" = ?" : "\"device_id\" = ?"
                )
                arguments += [lineage["device_id"] as String]
            }
            let names = Set(columns.map(\.name))
            var orderBy: String
            if let order, !order.isEmpty {
                let descending = order.hasPrefix("-")
                let name = descending ? String(order.dropFirst()) : order
                guard names.contains(name) else {
                    throw APIError(
                        .badRequest,
                        "order: \(name) is not a column of \(table)",
                        details: ["parameter": .string("order")]
                    )
                }
                orderBy = SQLIdentifier.quote(name) + (descending ? " DESC" : "")
            } else {
                let key = columns.filter { $0.primaryKeyIndex > 0 }.sorted { $0.primaryKeyIndex < $1.primaryKeyIndex }
                    .map { SQLIdentifier.quote($0.name) }
                orderBy = key.isEmpty ? "\"event_ts\", rowid" : key.joined(separator: ", ")
            }
            let filtered = query?.isEmpty == false
            if let query, filtered {
                let text = columns.filter { $0.type.uppercased() == "TEXT" }.map {
                    "instr(\(SQLIdentifier.quote($0.name)), ?) > 0"
                }
                conditions.append(text.isEmpty ? "0" : "(" + text.joined(separator: " OR ") + ")")
                arguments += StatementArguments(Array(repeating: query, count: text.count))
            }
            let condition = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let quoted = SQLIdentifier.quote(table)
            let total =
                !filtered
                ? Int(lineage["mirrored_row_count"] as Int64)
                : try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(quoted) \(condition)", arguments: arguments) ?? 0
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT * FROM \(quoted) \(condition) ORDER BY \(orderBy) LIMIT ? OFFSET ?",
                arguments: arguments + [page.limit, page.offset]
            )
            return (
                rows.map { row in
                    JSONObject(
                        members: row.columnNames.map {
                            JSONObject.Member(key: $0, value: MirrorWriter.jsonValue(row[$0] as DatabaseValue))
                        }
                    )
                }, total
            )
        }
    }
}

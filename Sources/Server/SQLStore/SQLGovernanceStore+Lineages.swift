import EdgeSyncModels

/// Operator actions on a lineage and reads of its target.
extension SQLGovernanceStore {
    /// Clears the breaker (`CircuitBreaker.reset`): a lineage it had paused resumes.
    public func resetMaterialization(
        lineageID: String,
        projectID: String,
        now: Timestamp
    ) async throws -> (ResetMaterializationResponse, [OutboundControl]) {
        try await backend.write { tx in
            guard var lineage = try Self.lineageState(tx, id: lineageID), lineage.projectID == projectID else {
                throw StoreError.notFound("no lineage \(lineageID)")
            }
            let controls = try self.apply(CircuitBreaker.reset(&lineage), tx, now: now)
            return (
                ResetMaterializationResponse(
                    lineageID: lineageID,
                    status: lineage.status,
                    resumed: !controls.isEmpty,
                    stagedRowCount: lineage.stagedRows
                ), controls
            )
        }
    }

    /// Removes the lineage's cloud state: staged rows, ledger, reviews, bindings, dedup keys,
    /// pending controls and its target (nothing on the device).
    public func deleteLineage(id: String, projectID: String, now: Timestamp) async throws {
        try await backend.write { tx in
            guard try self.deleteLineage(tx, id: id, projectID: projectID, now: now) else {
                throw StoreError.notFound("no lineage \(id)")
            }
        }
    }

    /// Deletes a device with all its lineages and credentials; its history (events) stays.
    public func deleteDevice(id: String, projectID: String, now: Timestamp) async throws {
        try await backend.write { tx in
            guard try tx.exists("SELECT 1 FROM device WHERE id = ? AND project_id = ?", [.text(id), .text(projectID)])
            else {
                throw StoreError.notFound("no device \(id)")
            }
            for lineage in try tx.strings("SELECT id FROM lineage WHERE device_id = ?", [.text(id)]) {
                _ = try self.deleteLineage(tx, id: lineage, projectID: projectID, now: now)
            }
            try Self.releaseRejectedPayloads(tx, ledgerWhere: "l.device_id = ?", [.text(id)])
            for table in ["batch_ledger", "pending_control", "observed_schema", "data_point"] {
                try tx.execute("DELETE FROM \(table) WHERE device_id = ?", [.text(id)])
            }
            try tx.execute("DELETE FROM device WHERE id = ?", [.text(id)])
            try Self.endSession(tx, deviceID: id)
        }
    }

    private func deleteLineage(_ tx: any SQLTransaction, id: String, projectID: String, now: Timestamp) throws -> Bool {
        guard
            let lineage = try tx.first(
                "SELECT * FROM lineage WHERE id = ? AND project_id = ?",
                [.text(id), .text(projectID)]
            )
        else { return false }
        let device = SQLValue.text(lineage.string("device_id"))
        let table = lineage.string("source_table")
        if let target = lineage.optionalString("mirror_table") {
            let columns = try tx.columns(of: target)
            if try Self.isShared(tx, table: target) {
                let column = columns.contains { $0.name == "_device_id" } ? "_device_id" : "device_id"
                try tx.execute("DELETE FROM \(SQLIdentifier.quote(target)) WHERE \(column) = ?", [device])
            } else if !columns.isEmpty {
                try tx.execute("DROP TABLE \(SQLIdentifier.quote(target))")
            }
        }
        // Kept rejected batches outlive the lineage (deleting it is how a strategy is changed, after
        // which they are re-ingested): detached, not deleted.
        try tx.execute(
            """
            UPDATE batch_ledger SET lineage_id = NULL
            WHERE lineage_id = ? AND id IN (SELECT ledger_id FROM rejected_payload)
            """,
            [.text(id)]
        )
        for statement in [
            "DELETE FROM staged_row WHERE lineage_id = ?", "DELETE FROM batch_ledger WHERE lineage_id = ?",
            "DELETE FROM schema_review WHERE lineage_id = ?", "DELETE FROM pending_control WHERE lineage_id = ?",
        ] {
            try tx.execute(statement, [.text(id)])
        }
        for statement in [
            "DELETE FROM row_dedup WHERE device_id = ? AND source_table = ?",
            "DELETE FROM telemetry_batch WHERE device_id = ? AND source_table = ?",
            "DELETE FROM observed_schema WHERE device_id = ? AND source_table = ?",
        ] {
            try tx.execute(statement, [device, .text(table)])
        }
        try tx.execute("DELETE FROM lineage WHERE id = ?", [.text(id)])
        try Self.insertEvent(
            tx,
            GovernanceEvent(
                projectID: projectID,
                deviceID: lineage.string("device_id"),
                lineageID: id,
                kind: .lineageDeleted,
                outcome: "deleted",
                message: "\(lineage.string("device_name"))/\(table): lineage and its cloud state deleted"
            ),
            at: now
        )
        return true
    }

    /// A page of the lineage's target. `order` names a target column (`-` in front: descending);
    /// `query` keeps rows where any text column contains it, ignoring case (`!text`: where none
    /// does).
    public func mirrorRows(
        lineageID: String,
        page: PageRequest,
        order: String?,
        query: String?
    ) async throws -> (items: [JSONObject], total: Int) {
        try await backend.read { tx in
            guard
                let lineage = try tx.first(
                    "SELECT mirror_table, mirrored_row_count, device_id FROM lineage WHERE id = ?",
                    [.text(lineageID)]
                ),
                let table = lineage.optionalString("mirror_table")
            else { return ([], 0) }
            let columns = try tx.columns(of: table)
            guard !columns.isEmpty else { return ([], 0) }
            var conditions: [String] = []
            var binds: [SQLValue] = []
            // A shared (coalesced) target holds every device of the scope; a lineage sees its own rows.
            if try Self.isShared(tx, table: table) {
                conditions.append(
                    columns.contains { $0.name == "_device_id" } ? "\"_device_id\" = ?" : "\"device_id\" = ?"
                )
                binds.append(.text(lineage.string("device_id")))
            }
            let orderBy: String
            if let order, !order.isEmpty {
                let descending = order.hasPrefix("-")
                let name = descending ? String(order.dropFirst()) : order
                guard columns.contains(where: { $0.name == name }) else {
                    throw StoreError(
                        .badRequest,
                        "order: \(name) is not a column of \(table)",
                        details: ["parameter": .string("order")]
                    )
                }
                orderBy = SQLIdentifier.quote(name) + (descending ? " DESC" : "")
            } else {
                let key = columns.filter { $0.primaryKeyPosition > 0 }.sorted {
                    $0.primaryKeyPosition < $1.primaryKeyPosition
                }
                .map { SQLIdentifier.quote($0.name) }
                orderBy =
                    key.isEmpty ? "\"event_ts\", \(self.dialect.seriesInsertionOrder)" : key.joined(separator: ", ")
            }
            let filtered = query?.isEmpty == false
            if filtered {
                let textTypes = Set([self.dialect.textType, self.dialect.columnType(.text)].map { $0.uppercased() })
                let text = columns.filter { textTypes.contains($0.type.uppercased()) }.map {
                    SQLIdentifier.quote($0.name)
                }
                self.matchText(query, in: text, &conditions, &binds)
            }
            let condition = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let quoted = SQLIdentifier.quote(table)
            let total =
                filtered
                ? Int(try tx.value("SELECT COUNT(*) FROM \(quoted) \(condition)", binds)?.integer ?? 0)
                : lineage.int("mirrored_row_count")
            let rows = try tx.query(
                "SELECT * FROM \(quoted) \(condition) ORDER BY \(orderBy) LIMIT ? OFFSET ?",
                binds + [.integer(Int64(page.limit)), .integer(Int64(page.offset))]
            )
            return (
                rows.map { row in
                    JSONObject(
                        members: row.names.names.enumerated().map {
                            JSONObject.Member(key: $0.element, value: row[$0.offset].jsonValue)
                        }
                    )
                }, total
            )
        }
    }
}

import EdgeSyncModels

extension SQLGovernanceStore {
    /// Copies the device-scoped mirrors of a table into its coalesced target and points their
    /// lineages at it (the old tables stay, untouched, for the operator to drop).
    public func consolidate(projectID: String, sourceTable: String, now: Timestamp) async throws -> ConsolidationResult
    {
        try await backend.write { tx in
            guard
                let mirror = try tx.first(
                    """
                    SELECT * FROM coalesced_mirror WHERE project_id = ? AND source_table = ?
                    ORDER BY CASE WHEN scope = 'fleet' THEN 1 ELSE 0 END, created_at LIMIT 1
                    """,
                    [.text(projectID), .text(sourceTable)]
                )
            else {
                throw StoreError.notFound(
                    "\(sourceTable) has no coalesced mirror: approve a registry review in project or fleet mode first"
                )
            }
            let shared = mirror.string("mirror_table")
            var sql = """
                SELECT id, mirror_table FROM lineage WHERE project_id = ? AND source_table = ? AND mirror_table IS NOT NULL
                AND mirror_table != ?
                """
            var binds: [SQLValue] = [.text(projectID), .text(sourceTable), .text(shared)]
            if mirror.string("scope") == ReviewScope.fleet.rawValue {
                sql += " AND fleet_id = ?"
                binds.append(.text(mirror.string("fleet_id")))
            }
            var moved: [String] = []
            var copied = 0
            for lineage in try tx.query(sql + " ORDER BY id", binds) {
                let own = lineage.string("mirror_table")
                let ownColumns = try tx.columns(of: own)
                guard !ownColumns.isEmpty, let target = try Self.target(tx, lineageID: lineage.string("id")) else {
                    continue
                }
                var sharedTarget = target
                sharedTarget.table = shared
                sharedTarget.coalesced = true
                let existing = try tx.columns(of: shared)
                let key = existing.filter { $0.primaryKeyPosition > 0 }.sorted {
                    $0.primaryKeyPosition < $1.primaryKeyPosition
                }
                .map(\.name)
                guard target.kind == .series || key == sharedTarget.primaryKey else {
                    throw StoreError(
                        .conflict,
                        "\(own) keys on (\(target.primaryKey.joined(separator: ", "))) but \(shared) on (\(key.joined(separator: ", ")))"
                    )
                }
                for statement in self.dialect.addColumnStatements(sharedTarget, existing: Set(existing.map(\.name))) {
                    try tx.execute(statement)
                }
                let sharedColumns = Set(try tx.columns(of: shared).map(\.name))
                let columns = ownColumns.map(\.name).filter { sharedColumns.contains($0) }
                copied += try tx.execute(
                    self.dialect.copyRows(
                        from: own,
                        into: shared,
                        columns: columns,
                        key: target.kind == .mirror ? key : nil
                    )
                )
                try tx.execute(
                    "UPDATE lineage SET mirror_table = ?, updated_at = ? WHERE id = ?",
                    [.text(shared), .integer(now.ns), .text(lineage.string("id"))]
                )
                moved.append(lineage.string("id"))
            }
            return ConsolidationResult(
                sourceTable: sourceTable,
                mirrorTable: shared,
                lineageIDs: moved,
                rowsCopied: copied
            )
        }
    }
}

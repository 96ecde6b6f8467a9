import EdgeSyncModels
import Foundation

/// A binding as the registry keeps it, to hand to every device that adopts the approved hash.
struct RegistryBinding: Codable {
    var sourceColumn: String
    var action: ColumnActionKind
    var mirrorColumn: String?
    var targetColumn: String?
    var affinity: ColumnAffinity
    var pkOrdinal: Int
}

/// Targets and bindings: the DDL an approval runs, the bindings it stores, a registry adoption.
extension SQLGovernanceStore {
    /// Creates the target, or adds the columns a re-approval brought.
    func provision(_ target: MaterializationTarget, _ tx: any SQLTransaction) throws {
        let statements = try provisioningStatements(target, existing: try tx.columns(of: target.table))
        if !statements.isEmpty, let bound = dialect.boundedLockWait { try tx.execute(bound) }
        for statement in statements { try tx.execute(statement) }
    }

    /// The DDL that creates or extends `target` on a table with `existing` columns. A mirror's
    /// primary key cannot change in place.
    func provisioningStatements(_ target: MaterializationTarget, existing: [SQLColumn]) throws -> [String] {
        if target.kind == .mirror, !existing.isEmpty {
            let key = existing.filter { $0.primaryKeyPosition > 0 }.sorted {
                $0.primaryKeyPosition < $1.primaryKeyPosition
            }
            .map(\.name)
            guard key == target.primaryKey else {
                throw StoreError(
                    .validationFailed,
                    """
                    mirror \(target.table) is keyed on (\(key.joined(separator: ", "))) but this schema keys on \
                    (\(target.primaryKey.joined(separator: ", "))); delete the lineage to rebuild its mirror
                    """
                )
            }
        }
        let existingNames = Set(existing.map(\.name))
        let total =
            (existing.isEmpty ? dialect.platformColumns(target.kind).count : existing.count)
            + target.columns.filter { !existingNames.contains($0.target) }.count
        guard total <= dialect.maximumColumnCount else {
            throw StoreError(
                .validationFailed,
                """
                \(target.table) would have \(total) columns, more than the store's \(dialect.maximumColumnCount); \
                ignore some columns (action ignore) and approve again
                """,
                details: ["columns": .integer(Int64(total)), "maximum": .integer(Int64(dialect.maximumColumnCount))]
            )
        }
        return dialect.provisioning(target, existing: existing)
    }

    /// The derived target name, made unique if another lineage's target already has it.
    static func freeTargetName(
        _ tx: any SQLTransaction,
        strategy: LineageStrategy,
        deviceID: String,
        sourceTable: String
    ) throws -> String {
        let scope = MirrorScope.device(id: deviceID)
        let name = tx.dialect.fitting(
            strategy == .rows
                ? MirrorIdentifier.mirrorTableName(scope: scope, sourceTable: sourceTable)
                : MirrorIdentifier.seriesTableName(scope: scope, sourceTable: sourceTable)
        )
        guard try tx.tableExists(name) else { return name }
        return tx.dialect.fitting(
            name + "_" + String(SHA256Hex.digest(Array((deviceID + "/" + sourceTable).utf8)).prefix(8))
        )
    }

    func replaceBindings(
        lineageID: String,
        hash: String,
        _ bindings: [BindingDraft],
        _ tx: any SQLTransaction,
        now: Timestamp
    ) throws {
        try tx.execute("DELETE FROM binding WHERE lineage_id = ?", [.text(lineageID)])
        for (position, binding) in bindings.enumerated() {
            var dataPoint: String?
            switch binding.dataPoint {
            case .existing(let id)?: dataPoint = id
            case .autoCreate(let name)?: dataPoint = try ensureDataPoint(lineageID: lineageID, name: name, tx, now: now)
            case nil: dataPoint = nil
            }
            try tx.execute(
                """
                INSERT INTO binding (lineage_id, source_column, action, mirror_column, data_point_id, target_column, affinity,
                pk_ordinal, schema_hash, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(lineageID), .text(binding.sourceColumn), .text(binding.action.rawValue),
                    SQLValue(binding.mirrorColumn),
                    SQLValue(dataPoint), SQLValue(binding.targetColumn), .text(binding.affinity.rawValue),
                    .integer(Int64(binding.pkOrdinal)), .text(hash), .integer(Int64(position)),
                ]
            )
        }
    }

    /// The device's data point named `name`, created if it has none.
    private func ensureDataPoint(
        lineageID: String,
        name: String,
        _ tx: any SQLTransaction,
        now: Timestamp
    ) throws -> String {
        guard let lineage = try tx.first("SELECT project_id, device_id FROM lineage WHERE id = ?", [.text(lineageID)])
        else {
            throw StoreError.notFound("the lineage \(lineageID) no longer exists")
        }
        let deviceID = lineage.string("device_id")
        if let id = try tx.value(
            "SELECT id FROM data_point WHERE device_id = ? AND name = ?",
            [.text(deviceID), .text(name)]
        )?
        .text {
            return id
        }
        let id = ids.next().description
        try tx.execute(
            "INSERT INTO data_point (id, project_id, device_id, name, created_at) VALUES (?, ?, ?, ?, ?)",
            [.text(id), .text(lineage.string("project_id")), .text(deviceID), .text(name), .integer(now.ns)]
        )
        return id
    }

    /// Gives a lineage the registry entry's bindings and shared target, and approves its hash.
    func adopt(lineageID: String, entryID: String, _ tx: any SQLTransaction, now: Timestamp) throws {
        guard let row = try tx.first("SELECT * FROM registry_entry WHERE id = ?", [.text(entryID)]),
            let table = try Self.sharedTable(tx, Self.registryEntryState(row))
        else { return }
        let hash = row.string("schema_hash")
        try tx.execute("DELETE FROM binding WHERE lineage_id = ?", [.text(lineageID)])
        for (position, binding) in try Self.registryBindings(row.optionalString("bindings_json")).enumerated() {
            try tx.execute(
                """
                INSERT INTO binding (lineage_id, source_column, action, mirror_column, target_column, affinity, pk_ordinal,
                schema_hash, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(lineageID), .text(binding.binding.sourceColumn), .text(binding.binding.action.rawValue),
                    SQLValue(binding.binding.mirrorColumn), SQLValue(binding.binding.targetColumn),
                    .text(binding.binding.affinity.rawValue), .integer(Int64(binding.binding.pkOrdinal)), .text(hash),
                    .integer(Int64(position)),
                ]
            )
        }
        try tx.execute(
            """
            INSERT INTO schema_version (lineage_id, schema_hash, columns_json, classification, decision, first_seen_at, approved_at)
            VALUES (?, ?, ?, 'compatible_mapped', 'approved', ?, ?)
            ON CONFLICT (lineage_id, schema_hash) DO UPDATE SET decision = 'approved', approved_at = excluded.approved_at
            """,
            [
                .text(lineageID), .text(hash), SQLValue(row.optionalString("columns_json")), .integer(now.ns),
                .integer(now.ns),
            ]
        )
        try tx.execute(
            "UPDATE lineage SET mirror_table = ?, updated_at = ? WHERE id = ?",
            [.text(table), .integer(now.ns), .text(lineageID)]
        )
    }

    func decideRegistryEntry(
        _ entryID: String,
        _ decision: SchemaVersion.Decision,
        bindings: [BindingDraft]?,
        _ tx: any SQLTransaction,
        now: Timestamp
    ) throws {
        let json = try bindings.map { bindings in
            String(
                decoding: try JSONEncoder().encode(
                    bindings.map {
                        RegistryBinding(
                            sourceColumn: $0.sourceColumn,
                            action: $0.action,
                            mirrorColumn: $0.mirrorColumn,
                            targetColumn: $0.targetColumn,
                            affinity: $0.affinity,
                            pkOrdinal: $0.pkOrdinal
                        )
                    }
                ),
                as: UTF8.self
            )
        }
        try tx.execute(
            "UPDATE registry_entry SET decision = ?, bindings_json = COALESCE(?, bindings_json), updated_at = ? WHERE id = ?",
            [.text(decision.rawValue), SQLValue(json), .integer(now.ns), .text(entryID)]
        )
    }

    func registerSharedTarget(
        _ entry: RegistryEntryState,
        table: String,
        _ tx: any SQLTransaction,
        now: Timestamp
    ) throws {
        try tx.execute(
            """
            INSERT INTO coalesced_mirror (id, project_id, scope, fleet_id, source_table, mirror_table, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(ids.next().description), .text(entry.projectID), .text(entry.scope.rawValue),
                .text(entry.fleetID),
                .text(entry.sourceTable), .text(table), .integer(now.ns),
            ]
        )
    }

    /// The shared target of a registry entry's scope and table, once an approval created it.
    static func sharedTable(_ tx: any SQLTransaction, _ entry: RegistryEntryState) throws -> String? {
        try tx.value(
            "SELECT mirror_table FROM coalesced_mirror WHERE project_id = ? AND scope = ? AND fleet_id = ? AND source_table = ?",
            [.text(entry.projectID), .text(entry.scope.rawValue), .text(entry.fleetID), .text(entry.sourceTable)]
        )?.text
    }

    static func registryEntryState(_ row: SQLRow) -> RegistryEntryState {
        RegistryEntryState(
            id: row.string("id"),
            projectID: row.string("project_id"),
            scope: ReviewScope(rawValue: row.string("scope")) ?? .project,
            fleetID: row.string("fleet_id"),
            sourceTable: row.string("source_table"),
            hash: row.string("schema_hash"),
            strategy: LineageStrategy(rawValue: row.string("strategy")) ?? .rows
        )
    }

    /// The registry entry a registry review decides, and its columns.
    static func registryEntryOfReview(
        _ tx: any SQLTransaction,
        reviewID: String
    ) throws -> (state: RegistryEntryState, columnsJSON: String?)? {
        try tx.first("SELECT * FROM registry_entry WHERE review_id = ?", [.text(reviewID)]).map {
            (registryEntryState($0), $0.optionalString("columns_json"))
        }
    }

    /// Lineages of the entry's scope that sent its hash and have no approval for it.
    static func waitingLineages(_ tx: any SQLTransaction, entry: RegistryEntryState) throws -> [LineageState] {
        var sql = """
            SELECT \(lineageStateColumns) FROM lineage WHERE project_id = ? AND source_table = ? AND EXISTS (
            SELECT 1 FROM schema_version v WHERE v.lineage_id = lineage.id AND v.schema_hash = ? AND v.decision != 'approved')
            """
        var binds: [SQLValue] = [.text(entry.projectID), .text(entry.sourceTable), .text(entry.hash)]
        if entry.scope == .fleet {
            sql += " AND fleet_id = ?"
            binds.append(.text(entry.fleetID))
        }
        return try tx.query(sql + " ORDER BY id", binds).map(lineageState)
    }

    static func registryBindings(_ json: String?) throws -> [(action: ColumnAction, binding: RegistryBinding)] {
        guard let json else { return [] }
        return try JSONDecoder().decode([RegistryBinding].self, from: Data(json.utf8)).map { binding in
            (
                ColumnAction(
                    sourceColumnName: binding.sourceColumn,
                    action: binding.action,
                    mirrorColumnName: binding.mirrorColumn
                ), binding
            )
        }
    }
}

import EdgeSyncModels
import Foundation
import GRDB

/// A binding as the registry keeps it, to hand to every device that adopts the approved hash.
struct RegistryBinding: Codable {
    var sourceColumn: String
    var action: ColumnActionKind
    var mirrorColumn: String?
    var targetColumn: String?
    var affinity: ColumnAffinity
    var pkOrdinal: Int
}

/// Schema coalescing (docs/spec/governance.md, "Registry coalescing"): in `project`/`fleet` mode a new
/// hash is decided once per scope by a registry review; every device of the scope that sends an
/// approved hash adopts its bindings and writes into the shared target.
extension SQLiteGovernanceStore {
    /// The registry key of a device's scope: (`project`|`fleet`, fleet id or '').
    func registryScope(_ mode: CoalescingMode, device: DeviceIdentity) -> (ReviewScope, String) {
        mode == .fleet ? (.fleet, device.fleetID) : (.project, "")
    }

    func registryEntryRow(
        _ db: Database,
        projectID: String,
        scope: ReviewScope,
        fleetID: String,
        table: String,
        hash: String
    ) throws -> Row? {
        try Row.fetchOne(
            db,
            sql: """
                SELECT * FROM registry_entry WHERE project_id = ? AND scope = ? AND fleet_id = ? AND source_table = ? AND schema_hash = ?
                """,
            arguments: [projectID, scope.rawValue, fleetID, table, hash]
        )
    }

    /// Records a hash the registry has not seen: a pending entry and a queued registry review.
    func queueRegistryReview(
        _ db: Database,
        _ plan: IngestPlan,
        lineage: LineageRow,
        strategy: LineageStrategy,
        schema: PlannedSchema,
        scope: ReviewScope,
        fleetID: String
    ) throws {
        let now = plan.receivedAt
        let previous = try Row.fetchOne(
            db,
            sql: """
                SELECT schema_hash, columns_json, bindings_json FROM registry_entry WHERE project_id = ? AND scope = ? AND fleet_id = ?
                AND source_table = ? AND decision = 'approved' ORDER BY updated_at DESC LIMIT 1
                """,
            arguments: [plan.device.projectID, scope.rawValue, fleetID, lineage.sourceTable]
        )
        let columns = schema.columns ?? schema.inferred
        let current = try previous.flatMap { row -> SchemaClassifier.Approved? in
            guard let json = row["columns_json"] as String?,
                let columns = Self.columns(fromJSON: json, table: lineage.sourceTable)
            else { return nil }
            return SchemaClassifier.Approved(
                hash: row["schema_hash"],
                columns: columns,
                bindings: try Self.registryBindings(row["bindings_json"]).map(\.action)
            )
        }
        let verdict = SchemaClassifier.classify(
            hash: schema.hash,
            columns: schema.columns,
            current: current,
            approvedHashes: []
        )
        let reviewID = ids.next().description
        let columnsJSON =
            schema.columnsJSON
            ?? columns.map {
                CanonicalJSON.string(
                    of: SchemaFingerprint(tableName: lineage.sourceTable, columns: $0).jsonValue["columns"]
                        ?? .array([])
                )
            }
        try db.execute(
            sql: """
                INSERT INTO registry_entry (id, project_id, scope, fleet_id, source_table, schema_hash, columns_json, decision, review_id, strategy,
                created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)
                """,
            arguments: [
                ids.next().description, plan.device.projectID, scope.rawValue, fleetID, lineage.sourceTable,
                schema.hash, columnsJSON,
                reviewID, strategy.rawValue, now.ns, now.ns,
            ]
        )
        try db.execute(
            sql: """
                INSERT INTO schema_review (id, project_id, scope, fleet_id, source_table, strategy, schema_hash, previous_schema_hash, classification,
                classification_reason, status, action_version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 1, ?, ?)
                """,
            arguments: [
                reviewID, plan.device.projectID, scope.rawValue, fleetID.isEmpty ? nil : fleetID, lineage.sourceTable,
                strategy.rawValue,
                schema.hash, current?.hash, verdict.classification.rawValue, verdict.reason, now.ns, now.ns,
            ]
        )
        try insertEvent(
            db,
            projectID: plan.device.projectID,
            deviceID: plan.device.id,
            lineageID: lineage.id,
            kind: .reviewQueued,
            outcome: verdict.classification.rawValue,
            message:
                "registry (\(scope.rawValue)) \(lineage.sourceTable): \(verdict.reason), first seen from \(plan.device.name)",
            at: now
        )
    }

    /// Gives a lineage the registry's bindings for `hash` and the shared target, approves the
    /// hash for it and activates it (queueing the replay of its staged rows).
    func adopt(_ db: Database, lineageID: String, entry: Row, now: Timestamp) throws -> [OutboundControl] {
        let bindings = try Self.registryBindings(entry["bindings_json"]).map(\.binding)
        guard
            let table = try String.fetchOne(
                db,
                sql: """
                    SELECT mirror_table FROM coalesced_mirror WHERE project_id = ? AND scope = ? AND fleet_id = ? AND source_table = ?
                    """,
                arguments: [
                    entry["project_id"] as String, entry["scope"] as String, entry["fleet_id"] as String,
                    entry["source_table"] as String,
                ]
            )
        else { return [] }
        try db.execute(sql: "DELETE FROM binding WHERE lineage_id = ?", arguments: [lineageID])
        for (position, binding) in bindings.enumerated() {
            try db.execute(
                sql: """
                    INSERT INTO binding (lineage_id, source_column, action, mirror_column, target_column, affinity, pk_ordinal, schema_hash, position)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    lineageID, binding.sourceColumn, binding.action.rawValue, binding.mirrorColumn,
                    binding.targetColumn,
                    binding.affinity.rawValue, binding.pkOrdinal, entry["schema_hash"] as String, position,
                ]
            )
        }
        let hash: String = entry["schema_hash"]
        try db.execute(
            sql: """
                INSERT INTO schema_version (lineage_id, schema_hash, columns_json, classification, decision, first_seen_at, approved_at)
                VALUES (?, ?, ?, 'compatible_mapped', 'approved', ?, ?)
                ON CONFLICT DO UPDATE SET decision = 'approved', approved_at = excluded.approved_at
                """,
            arguments: [lineageID, hash, entry["columns_json"] as String?, now.ns, now.ns]
        )
        try db.execute(
            sql: "UPDATE lineage SET mirror_table = ?, updated_at = ? WHERE id = ?",
            arguments: [table, now.ns, lineageID]
        )
        return try activate(
            db,
            lineageID: lineageID,
            now: now,
            message: "schema \(hash.prefix(12)) approved in the \(entry["scope"] as String) registry"
        )
    }

    /// Approve of a registry review: the shared target, the registry's bindings, and adoption
    /// by every lineage of the scope waiting on this hash.
    func approveRegistry(
        _ db: Database,
        review: Row,
        body: ApproveReviewRequest,
        principal: Principal,
        now: Timestamp
    ) throws -> [OutboundControl] {
        guard
            let entry = try Row.fetchOne(
                db,
                sql: "SELECT * FROM registry_entry WHERE review_id = ?",
                arguments: [review["id"] as String]
            )
        else {
            throw APIError(.notFound, "the review's registry entry no longer exists")
        }
        let table: String = entry["source_table"]
        let strategy = LineageStrategy(rawValue: entry["strategy"]) ?? .rows
        guard let json = entry["columns_json"] as String?, let columns = Self.columns(fromJSON: json, table: table)
        else {
            throw APIError(.validationFailed, "the registry entry has no columns to approve")
        }
        // Data points belong to single devices, so a shared target takes mirrored columns only.
        let resolved = try ColumnActionValidator(
            columns: columns,
            strategy: strategy,
            dataPoints: [:],
            allowAutoCreate: false
        ).validate(body.columnActions)
        let projectID: String = entry["project_id"]
        let fleetID: String = entry["fleet_id"]
        let scope = ReviewScope(rawValue: entry["scope"]) ?? .project
        let mirrorScope: MirrorScope = scope == .fleet ? .fleet(id: fleetID) : .project(id: projectID)
        let tableName: String
        if let existing = try String.fetchOne(
            db,
            sql: """
                SELECT mirror_table FROM coalesced_mirror WHERE project_id = ? AND scope = ? AND fleet_id = ? AND source_table = ?
                """,
            arguments: [projectID, scope.rawValue, fleetID, table]
        ) {
            tableName = existing
        } else {
            tableName =
                strategy == .rows
                ? MirrorIdentifier.mirrorTableName(scope: mirrorScope, sourceTable: table)
                : MirrorIdentifier.seriesTableName(scope: mirrorScope, sourceTable: table)
            try db.execute(
                sql: """
                    INSERT INTO coalesced_mirror (id, project_id, scope, fleet_id, source_table, mirror_table, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [ids.next().description, projectID, scope.rawValue, fleetID, table, tableName, now.ns]
            )
        }
        try provision(
            db,
            MaterializationTarget(
                strategy: strategy,
                table: tableName,
                schema: columns,
                actions: resolved,
                coalesced: true
            )
        )
        let byName = Dictionary(columns.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let bindings = resolved.map { item in
            let column = byName[item.action.sourceColumnName]!
            return RegistryBinding(
                sourceColumn: column.name,
                action: item.action.action,
                mirrorColumn: item.action.action == .mirror ? item.targetColumn : nil,
                targetColumn: item.targetColumn,
                affinity: column.declTypeAffinity,
                pkOrdinal: strategy == .rows ? column.pkOrdinal : 0
            )
        }
        try db.execute(
            sql: "UPDATE registry_entry SET decision = 'approved', bindings_json = ?, updated_at = ? WHERE id = ?",
            arguments: [
                String(decoding: try JSONEncoder().encode(bindings), as: UTF8.self), now.ns, entry["id"] as String,
            ]
        )
        try db.execute(
            sql: """
                UPDATE schema_review SET status = 'approved', decided_by = ?, decided_at = ?, action_version = action_version + 1, updated_at = ? WHERE id = ?
                """,
            arguments: [principal.name, now.ns, now.ns, review["id"] as String]
        )
        let approved = try Row.fetchOne(
            db,
            sql: "SELECT * FROM registry_entry WHERE id = ?",
            arguments: [entry["id"] as String]
        )!
        var controls: [OutboundControl] = []
        for lineageID in try waitingLineages(db, entry: approved) {
            controls += try adopt(db, lineageID: lineageID, entry: approved, now: now)
        }
        return controls
    }

    /// Reject of a registry review: every lineage of the scope waiting on the hash stays paused, `rejected`.
    func rejectRegistry(_ db: Database, review: Row, now: Timestamp) throws {
        guard
            let entry = try Row.fetchOne(
                db,
                sql: "SELECT * FROM registry_entry WHERE review_id = ?",
                arguments: [review["id"] as String]
            )
        else { return }
        try db.execute(
            sql: "UPDATE registry_entry SET decision = 'rejected', updated_at = ? WHERE id = ?",
            arguments: [now.ns, entry["id"] as String]
        )
        for lineageID in try waitingLineages(db, entry: entry) {
            try db.execute(
                sql: "UPDATE lineage SET status = 'paused', pause_reason = 'rejected', updated_at = ? WHERE id = ?",
                arguments: [now.ns, lineageID]
            )
        }
    }

    /// Lineages of the entry's scope that sent its hash and have no approval for it.
    private func waitingLineages(_ db: Database, entry: Row) throws -> [String] {
        var sql = """
            SELECT l.id FROM lineage l JOIN schema_version v ON v.lineage_id = l.id WHERE l.project_id = ? AND l.source_table = ?
            AND v.schema_hash = ? AND v.decision != 'approved'
            """
        var arguments: StatementArguments = [
            entry["project_id"] as String, entry["source_table"] as String, entry["schema_hash"] as String,
        ]
        if (entry["scope"] as String) == ReviewScope.fleet.rawValue {
            sql += " AND l.fleet_id = ?"
            arguments += [entry["fleet_id"] as String]
        }
        return try String.fetchAll(db, sql: sql, arguments: arguments)
    }

    /// Copies the device-scoped mirrors of a table into its coalesced target and points their
    /// lineages at it (the old tables stay, untouched, for the operator to drop).
    public func consolidate(projectID: String, sourceTable: String, now: Timestamp) async throws -> ConsolidationResult
    {
        try await pool.write { db in
            guard
                let mirror = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT * FROM coalesced_mirror WHERE project_id = ? AND source_table = ? ORDER BY scope = 'fleet', created_at LIMIT 1
                        """,
                    arguments: [projectID, sourceTable]
                )
            else {
                throw APIError(
                    .notFound,
                    "\(sourceTable) has no coalesced mirror: approve a registry review in project or fleet mode first"
                )
            }
            let shared: String = mirror["mirror_table"]
            var sql =
                "SELECT id, mirror_table FROM lineage WHERE project_id = ? AND source_table = ? AND mirror_table IS NOT NULL AND mirror_table != ?"
            var arguments: StatementArguments = [projectID, sourceTable, shared]
            if (mirror["scope"] as String) == ReviewScope.fleet.rawValue {
                sql += " AND fleet_id = ?"
                arguments += [mirror["fleet_id"] as String]
            }
            var moved: [String] = []
            var copied = 0
            for lineage in try Row.fetchAll(db, sql: sql, arguments: arguments) {
                let own: String = lineage["mirror_table"]
                guard try db.tableExists(own), let target = try self.target(db, lineageID: lineage["id"]) else {
                    continue
                }
                var sharedTarget = target
                sharedTarget.table = shared
                sharedTarget.coalesced = true
                let existing = try db.columns(in: shared)
                let key = existing.filter { $0.primaryKeyIndex > 0 }.sorted { $0.primaryKeyIndex < $1.primaryKeyIndex }
                    .map(\.name)
                guard target.kind == .series || key == sharedTarget.primaryKey else {
                    throw APIError(
                        .conflict,
                        "\(own) keys on (\(target.primaryKey.joined(separator: ", "))) but \(shared) on (\(key.joined(separator: ", ")))"
                    )
                }
                for statement in sharedTarget.addColumnStatements(existing: Set(existing.map(\.name))) {
                    try db.execute(sql: statement)
                }
                let sharedColumns = Set(try db.columns(in: shared).map(\.name))
                let columns = try db.columns(in: own).map(\.name).filter { sharedColumns.contains($0) }.map(
                    SQLIdentifier.quote
                ).joined(separator: ", ")
                try db.execute(
                    sql:
                        "INSERT OR REPLACE INTO \(SQLIdentifier.quote(shared)) (\(columns)) SELECT \(columns) FROM \(SQLIdentifier.quote(own))"
                )
                copied += db.changesCount
                try db.execute(
                    sql: "UPDATE lineage SET mirror_table = ?, updated_at = ? WHERE id = ?",
                    arguments: [shared, now.ns, lineage["id"] as String]
                )
                moved.append(lineage["id"])
            }
            return ConsolidationResult(
                sourceTable: sourceTable,
                mirrorTable: shared,
                lineageIDs: moved,
                rowsCopied: copied
            )
        }
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

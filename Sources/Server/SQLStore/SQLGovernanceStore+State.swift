import EdgeSyncModels
import Foundation

/// Reads of the state the rules decide on, inside the caller's transaction.
extension SQLGovernanceStore {
    static let lineageStateColumns = """
        id, project_id, device_id, fleet_id, source_table, strategy, status, pause_reason, device_paused, staged_row_count,
        staged_bytes, consecutive_failures, last_commit_seq, last_batch_seq, sync_authority, mirror_table, telemetry_epoch,
        EXISTS (SELECT 1 FROM replay_intent r WHERE r.lineage_id = lineage.id AND r.state IN ('pending', 'running')) AS replay_open
        """

    static func lineageState(_ row: SQLRow) -> LineageState {
        let strategy = LineageStrategy(rawValue: row.string("strategy")) ?? .rows
        return LineageState(
            id: row.string("id"),
            projectID: row.string("project_id"),
            deviceID: row.string("device_id"),
            fleetID: row.string("fleet_id"),
            sourceTable: row.string("source_table"),
            strategy: strategy,
            status: LineageStatus(rawValue: row.string("status")) ?? .paused,
            pauseReason: row.optionalString("pause_reason").flatMap(PauseReason.init),
            devicePaused: row.bool("device_paused"),
            stagedRows: row.int64("staged_row_count"),
            stagedBytes: row.int64("staged_bytes"),
            consecutiveFailures: row.int("consecutive_failures"),
            watermark: (strategy == .rows ? row.optionalInt64("last_commit_seq") : row.optionalInt64("last_batch_seq"))
                ?? 0,
            replayOpen: row.bool("replay_open"),
            syncAuthority: SyncAuthority(rawValue: row.string("sync_authority")) ?? .deviceAuthoritative,
            mirrorTable: row.optionalString("mirror_table"),
            telemetryEpoch: row.optionalString("telemetry_epoch") ?? ""
        )
    }

    /// A lineage's state, locked in a write transaction: what happens to one lineage is
    /// serialized by its row, whichever replica does it.
    static func lineageState(_ tx: any SQLTransaction, id: String) throws -> LineageState? {
        try tx.first("SELECT \(lineageStateColumns) FROM lineage WHERE id = ?\(tx.lockRows)", [.text(id)]).map(
            lineageState
        )
    }

    static func lineageState(_ tx: any SQLTransaction, deviceID: String, table: String) throws -> LineageState? {
        try tx.first(
            "SELECT \(lineageStateColumns) FROM lineage WHERE device_id = ? AND source_table = ?\(tx.lockRows)",
            [.text(deviceID), .text(table)]
        ).map(lineageState)
    }

    /// The lineage of (device, table), created by its first batch (once, whichever replica
    /// receives it), and locked.
    func lineageForBatch(
        _ tx: any SQLTransaction,
        _ plan: IngestPlan,
        table: String,
        strategy: LineageStrategy
    ) throws -> LineageState {
        if let existing = try Self.lineageState(tx, deviceID: plan.device.id, table: table) { return existing }
        let id = ids.next().description
        let now = plan.receivedAt.ns
        let created = try tx.execute(
            """
            INSERT INTO lineage (id, project_id, device_id, fleet_id, device_name, source_table, strategy, status,
            sync_authority, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'active', 'device_authoritative', ?, ?)
            ON CONFLICT (device_id, source_table) DO NOTHING
            """,
            [
                .text(id), .text(plan.device.projectID), .text(plan.device.id), .text(plan.device.fleetID),
                .text(plan.device.name), .text(table), .text(strategy.rawValue), .integer(now), .integer(now),
            ]
        )
        guard created == 1 else {
            guard let existing = try Self.lineageState(tx, deviceID: plan.device.id, table: table) else {
                throw StoreError(
                    .unavailable,
                    "the lineage of \(plan.device.name)/\(table) was deleted meanwhile; retry"
                )
            }
            return existing
        }
        let lineage = LineageState(
            id: id,
            projectID: plan.device.projectID,
            deviceID: plan.device.id,
            fleetID: plan.device.fleetID,
            sourceTable: table,
            strategy: strategy
        )
        _ = try apply(BatchAdmission.created(lineage, deviceName: plan.device.name), tx, now: plan.receivedAt)
        return lineage
    }

    /// A fleet without its own policy follows its project's; a project without one, the defaults.
    static func policy(_ tx: any SQLTransaction, projectID: String, fleetID: String?) throws -> Policy {
        // Both scopes in one statement: every staged batch reads the policy.
        let bodies = try tx.query(
            "SELECT fleet_id, body FROM policy WHERE project_id = ? AND fleet_id IN (?, '')",
            [.text(projectID), .text(fleetID ?? "")]
        ).reduce(into: [String: String]()) { $0[$1.string("fleet_id")] = $1.optionalString("body") }
        for scope in [fleetID, ""].compactMap({ $0 }) {
            if let body = bodies[scope], let policy = try? JSONDecoder().decode(Policy.self, from: Data(body.utf8)) {
                return policy
            }
        }
        return Policy.defaults
    }

    /// The lineage's current bindings, in schema order.
    static func bindings(_ tx: any SQLTransaction, lineageID: String) throws -> [ColumnAction] {
        try tx.query("SELECT * FROM binding WHERE lineage_id = ? ORDER BY position", [.text(lineageID)]).map {
            ColumnAction(
                sourceColumnName: $0.string("source_column"),
                action: ColumnActionKind(rawValue: $0.string("action")) ?? .ignore,
                mirrorColumnName: $0.optionalString("mirror_column"),
                deviceDataPointID: $0.optionalString("data_point_id")
            )
        }
    }

    /// The lineage's target as its bindings describe it; nil before the first approval.
    static func target(_ tx: any SQLTransaction, lineageID: String) throws -> MaterializationTarget? {
        guard
            let lineage = try tx.first("SELECT strategy, mirror_table FROM lineage WHERE id = ?", [.text(lineageID)]),
            let table = lineage.optionalString("mirror_table")
        else { return nil }
        let columns = try tx.query(
            "SELECT * FROM binding WHERE lineage_id = ? AND target_column IS NOT NULL ORDER BY position",
            [.text(lineageID)]
        ).map {
            MaterializationTarget.Column(
                source: $0.string("source_column"),
                target: $0.string("target_column"),
                affinity: ColumnAffinity(rawValue: $0.string("affinity")) ?? .text,
                pkOrdinal: $0.int("pk_ordinal")
            )
        }
        return MaterializationTarget(
            kind: lineage.string("strategy") == "rows" ? .mirror : .series,
            table: table,
            columns: columns,
            coalesced: try isShared(tx, table: table)
        )
    }

    /// Whether a target is shared by a registry scope (coalesced).
    static func isShared(_ tx: any SQLTransaction, table: String) throws -> Bool {
        try tx.exists("SELECT 1 FROM coalesced_mirror WHERE mirror_table = ?", [.text(table)])
    }

    /// The columns of a lineage's schema version: as the device described them, or inferred from
    /// its first staged row when it never did.
    static func schemaColumns(
        _ tx: any SQLTransaction,
        lineageID: String,
        table: String,
        hash: String
    ) throws -> [SchemaColumn]? {
        if let json = try tx.value(
            "SELECT columns_json FROM schema_version WHERE lineage_id = ? AND schema_hash = ?",
            [.text(lineageID), .text(hash)]
        )?.text, let columns = SchemaColumns.parse(json, table: table) {
            return columns
        }
        guard
            let sample = try tx.first(
                "SELECT pk_json, row_json FROM staged_row WHERE lineage_id = ? AND schema_hash = ? ORDER BY id LIMIT 1",
                [.text(lineageID), .text(hash)]
            )
        else { return nil }
        return SchemaInference.columns(
            pk: sample.optionalString("pk_json").flatMap(object),
            row: sample.optionalString("row_json").flatMap(object)
        )
    }

    /// The lineage's re-snapshot state.
    static func retirement(_ tx: any SQLTransaction, lineageID: String) throws -> Retirement.State {
        guard
            let row = try tx.first(
                "SELECT retire_epoch, retire_through, retired_before_epoch FROM lineage WHERE id = ?",
                [.text(lineageID)]
            )
        else { return Retirement.State() }
        let pending = row.optionalString("retire_epoch").flatMap { epoch in
            row.optionalInt64("retire_through").map { (epoch, $0) }
        }
        return Retirement.State(pending: pending, retiredBefore: row.optionalString("retired_before_epoch"))
    }

    /// A review's state, locked in a write transaction (a transition at a time).
    static func review(_ tx: any SQLTransaction, id: String, projectID: String) throws -> ReviewState? {
        try tx.first(
            "SELECT * FROM schema_review WHERE id = ? AND project_id = ?\(tx.lockRows)",
            [.text(id), .text(projectID)]
        ).map {
            ReviewState(
                id: $0.string("id"),
                projectID: $0.string("project_id"),
                scope: ReviewScope(rawValue: $0.string("scope")) ?? .device,
                status: ReviewStatus(rawValue: $0.string("status")) ?? .queued,
                actionVersion: $0.int("action_version"),
                claimedBy: $0.optionalString("claimed_by"),
                claimedByToken: $0.optionalString("claimed_by_token"),
                lineageID: $0.optionalString("lineage_id"),
                deviceID: $0.optionalString("device_id"),
                sourceTable: $0.string("source_table"),
                schemaHash: $0.string("schema_hash"),
                fleetID: $0.optionalString("fleet_id") ?? "",
                strategy: LineageStrategy(rawValue: $0.string("strategy")) ?? .rows,
                previousHash: $0.optionalString("previous_schema_hash"),
                classification: SchemaClassification(rawValue: $0.string("classification")) ?? .unknown,
                classificationReason: $0.string("classification_reason")
            )
        }
    }
}

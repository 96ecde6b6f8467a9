import EdgeSyncModels
import GRDB

/// The columns of a lineage row the ingest transaction needs.
struct LineageRow {
    var id: String
    var sourceTable: String
    var strategy: LineageStrategy
    var status: LineageStatus
    var pauseReason: PauseReason?
}

extension SQLiteGovernanceStore {
    func lineageRow(_ db: Database, deviceID: String, table: String) throws -> LineageRow? {
        try Row.fetchOne(
            db,
            sql:
                "SELECT id, source_table, strategy, status, pause_reason FROM lineage WHERE device_id = ? AND source_table = ?",
            arguments: [deviceID, table]
        ).map {
            LineageRow(
                id: $0["id"],
                sourceTable: $0["source_table"],
                strategy: LineageStrategy(rawValue: $0["strategy"]) ?? .rows,
                status: LineageStatus(rawValue: $0["status"]) ?? .paused,
                pauseReason: ($0["pause_reason"] as String?).flatMap(PauseReason.init)
            )
        }
    }

    /// The lineage of (device, table), created by its first batch.
    func lineageForBatch(
        _ db: Database,
        _ plan: IngestPlan,
        table: String,
        strategy: LineageStrategy
    ) throws -> LineageRow {
        if let existing = try lineageRow(db, deviceID: plan.device.id, table: table) { return existing }
        let id = ids.next().description
        let now = plan.receivedAt.ns
        try db.execute(
            sql: """
                INSERT INTO lineage (id, project_id, device_id, fleet_id, device_name, source_table, strategy, status, sync_authority,
                created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'active', 'device_authoritative', ?, ?)
                """,
            arguments: [
                id, plan.device.projectID, plan.device.id, plan.device.fleetID, plan.device.name, table,
                strategy.rawValue, now, now,
            ]
        )
        try insertEvent(
            db,
            projectID: plan.device.projectID,
            deviceID: plan.device.id,
            lineageID: id,
            kind: .lineageCreated,
            outcome: strategy.rawValue,
            message: "\(plan.device.name)/\(table): first batch",
            at: plan.receivedAt
        )
        return LineageRow(id: id, sourceTable: table, strategy: strategy, status: .active, pauseReason: nil)
    }

    /// Records the batch's schema version; a hash that is not approved is classified and, when a
    /// human must decide, gets a queued review (superseding an open one for an older hash) and
    /// pauses the lineage. Returns why this batch's rows are staged, or nil when they materialize.
    func governSchema(
        _ db: Database,
        _ plan: IngestPlan,
        lineage: LineageRow,
        schema: PlannedSchema,
        strategy: LineageStrategy
    ) throws -> StagingReason? {
        let now = plan.receivedAt
        var status = lineage.status
        var pauseReason = lineage.pauseReason
        var returnsActive = false
        let known = try Row.fetchOne(
            db,
            sql: "SELECT columns_json, decision FROM schema_version WHERE lineage_id = ? AND schema_hash = ?",
            arguments: [lineage.id, schema.hash]
        )
        if let known {
            if (known["columns_json"] as String?) == nil, let json = schema.columnsJSON {
                try db.execute(
                    sql: "UPDATE schema_version SET columns_json = ? WHERE lineage_id = ? AND schema_hash = ?",
                    arguments: [json, lineage.id, schema.hash]
                )
            }
            returnsActive = (known["decision"] as String) == SchemaVersion.Decision.approved.rawValue
        } else {
            let observed = try String.fetchOne(
                db,
                sql:
                    "SELECT columns_json FROM observed_schema WHERE device_id = ? AND source_table = ? AND schema_hash = ?",
                arguments: [plan.device.id, lineage.sourceTable, schema.hash]
            )
            let columnsJSON = schema.columnsJSON ?? observed
            let columns =
                schema.columns ?? columnsJSON.flatMap { Self.columns(fromJSON: $0, table: lineage.sourceTable) }
            let approved = try Row.fetchAll(
                db,
                sql: """
                    SELECT schema_hash, columns_json FROM schema_version WHERE lineage_id = ? AND decision = 'approved' ORDER BY approved_at DESC
                    """,
                arguments: [lineage.id]
            )
            let bindings = try self.bindings(db, lineageID: lineage.id)
            let current = approved.first.flatMap { row -> SchemaClassifier.Approved? in
                guard let json = row["columns_json"] as String?,
                    let columns = Self.columns(fromJSON: json, table: lineage.sourceTable)
                else { return nil }
                return SchemaClassifier.Approved(hash: row["schema_hash"], columns: columns, bindings: bindings)
            }
            let policy = try policy(db, projectID: plan.device.projectID, fleetID: plan.device.fleetID)
            let registry =
                policy.schemaCoalescingMode == .perDevice
                ? nil : registryScope(policy.schemaCoalescingMode, device: plan.device)
            let entry = try registry.flatMap {
                try registryEntryRow(
                    db,
                    projectID: plan.device.projectID,
                    scope: $0.0,
                    fleetID: $0.1,
                    table: lineage.sourceTable,
                    hash: schema.hash
                )
            }
            let entryDecision = (entry?["decision"] as String?).flatMap(SchemaVersion.Decision.init)
            let verdict = SchemaClassifier.classify(
                hash: schema.hash,
                columns: columns,
                current: current,
                approvedHashes: Set(approved.map { $0["schema_hash"] }),
                registryApproved: entryDecision == .approved
            )
            try db.execute(
                sql: """
                    INSERT INTO schema_version (lineage_id, schema_hash, columns_json, classification, decision, first_seen_at, approved_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    lineage.id, schema.hash, columnsJSON, verdict.classification.rawValue,
                    verdict.needsReview ? "pending" : "approved", now.ns, verdict.needsReview ? nil : now.ns,
                ]
            )
            if verdict.needsReview {
                if let (scope, fleetID) = registry {
                    if entry == nil {
                        try queueRegistryReview(
                            db,
                            plan,
                            lineage: lineage,
                            strategy: strategy,
                            schema: schema,
                            scope: scope,
                            fleetID: fleetID
                        )
                    }
                } else {
                    try queueReview(
                        db,
                        plan,
                        lineage: lineage,
                        strategy: strategy,
                        hash: schema.hash,
                        previousHash: current?.hash,
                        verdict: verdict
                    )
                }
                let continues =
                    verdict.classification == .compatibleAdditive && policy.allowAdditiveContinue && current != nil
                if status == .active, !continues {
                    status = .paused
                    pauseReason = entryDecision == .rejected ? .rejected : .schemaReview
                    try db.execute(
                        sql: "UPDATE lineage SET status = 'paused', pause_reason = ? WHERE id = ?",
                        arguments: [pauseReason!.rawValue, lineage.id]
                    )
                    try insertEvent(
                        db,
                        projectID: plan.device.projectID,
                        deviceID: plan.device.id,
                        lineageID: lineage.id,
                        kind: .lineagePaused,
                        outcome: pauseReason!.rawValue,
                        message: "waiting for a schema review",
                        at: now
                    )
                }
            } else if let entry, entryDecision == .approved {
                _ = try adopt(db, lineageID: lineage.id, entry: entry, now: now)
                status = .active
            } else {
                returnsActive = true
            }
            try db.execute(
                sql: "UPDATE lineage SET schema_hash = ? WHERE id = ?",
                arguments: [schema.hash, lineage.id]
            )
        }
        if returnsActive, status == .paused, pauseReason == .schemaReview {
            _ = try activate(
                db,
                lineageID: lineage.id,
                now: now,
                message: "schema \(schema.hash.prefix(12)) is already approved"
            )
            status = .active
        }
        switch (status, pauseReason) {
        case (.active, _): return nil
        case (.paused, .schemaReview?): return .schemaReview
        case (.paused, _): return .lineagePaused
        }
    }

    private func queueReview(
        _ db: Database,
        _ plan: IngestPlan,
        lineage: LineageRow,
        strategy: LineageStrategy,
        hash: String,
        previousHash: String?,
        verdict: SchemaClassifier.Verdict
    ) throws {
        let now = plan.receivedAt
        let superseded = try String.fetchAll(
            db,
            sql: """
                SELECT id FROM schema_review WHERE lineage_id = ? AND status IN ('queued', 'in_review') AND schema_hash != ?
                """,
            arguments: [lineage.id, hash]
        )
        for id in superseded {
            try db.execute(
                sql: """
                    UPDATE schema_review SET status = 'abandoned', reason = 'superseded', action_version = action_version + 1,
                    decided_at = ?, updated_at = ? WHERE id = ?
                    """,
                arguments: [now.ns, now.ns, id]
            )
            try insertEvent(
                db,
                projectID: plan.device.projectID,
                deviceID: plan.device.id,
                lineageID: lineage.id,
                kind: .reviewAbandoned,
                outcome: "superseded",
                message: "review \(id) superseded by schema \(hash.prefix(12))",
                at: now
            )
        }
        let id = ids.next().description
        try db.execute(
            sql: """
                INSERT INTO schema_review (id, project_id, scope, lineage_id, device_id, fleet_id, source_table, strategy, schema_hash,
                previous_schema_hash, classification, classification_reason, status, action_version, created_at, updated_at)
                VALUES (?, ?, 'device', ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 1, ?, ?)
                """,
            arguments: [
                id, plan.device.projectID, lineage.id, plan.device.id, plan.device.fleetID, lineage.sourceTable,
                strategy.rawValue,
                hash, previousHash, verdict.classification.rawValue, verdict.reason, now.ns, now.ns,
            ]
        )
        try insertEvent(
            db,
            projectID: plan.device.projectID,
            deviceID: plan.device.id,
            lineageID: lineage.id,
            kind: .reviewQueued,
            outcome: verdict.classification.rawValue,
            message: "\(plan.device.name)/\(lineage.sourceTable): \(verdict.reason)",
            at: now
        )
    }

    /// Columns from a stored `columns` JSON array.
    static func columns(fromJSON json: String, table: String) -> [SchemaColumn]? {
        guard let value = try? JSONParser().parse(json) else { return nil }
        return (try? SchemaFingerprint(json: .object(["table_name": .string(table), "columns": value])))?.columns
    }
}

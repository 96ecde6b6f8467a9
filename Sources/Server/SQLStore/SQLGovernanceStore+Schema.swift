import EdgeSyncModels

/// The state a batch's schema is decided on (`SchemaGovernance`), and the decision applied.
extension SQLGovernanceStore {
    /// Records and classifies the batch's schema version; applies what the rules decide (a
    /// review, a pause, an adoption, an activation). Returns the controls queued.
    func governSchema(
        _ tx: any SQLTransaction,
        _ plan: IngestPlan,
        lineage: inout LineageState,
        schema: PlannedSchema
    ) throws -> [OutboundControl] {
        let situation = try schemaSituation(tx, plan, lineage: lineage, schema: schema)
        let decision = SchemaGovernance.decide(situation)
        lineage = decision.lineage
        return try apply(decision.effects, tx, now: plan.receivedAt)
    }

    private func schemaSituation(
        _ tx: any SQLTransaction,
        _ plan: IngestPlan,
        lineage: LineageState,
        schema: PlannedSchema
    ) throws -> SchemaGovernance.Situation {
        let known = try tx.first(
            "SELECT columns_json, decision FROM schema_version WHERE lineage_id = ? AND schema_hash = ?",
            [.text(lineage.id), .text(schema.hash)]
        ).map {
            SchemaGovernance.Known(
                decision: SchemaVersion.Decision(rawValue: $0.string("decision")) ?? .pending,
                hasColumns: $0.optionalString("columns_json") != nil
            )
        }
        var situation = SchemaGovernance.Situation(
            lineage: lineage,
            deviceName: plan.device.name,
            hash: schema.hash,
            columns: schema.columns,
            columnsJSON: schema.columnsJSON,
            inferredColumns: schema.inferred,
            known: known,
            observedColumnsJSON: nil,
            current: nil,
            approvedHashes: [],
            policy: .defaults,
            registry: nil,
            openReviews: []
        )
        // A known version needs nothing more: its decision stands.
        guard known == nil else { return situation }
        situation.observedColumnsJSON = try tx.value(
            "SELECT columns_json FROM observed_schema WHERE device_id = ? AND source_table = ? AND schema_hash = ?",
            [.text(plan.device.id), .text(lineage.sourceTable), .text(schema.hash)]
        )?.text
        let approved = try tx.query(
            "SELECT schema_hash, columns_json FROM schema_version WHERE lineage_id = ? AND decision = 'approved' ORDER BY approved_at DESC",
            [.text(lineage.id)]
        )
        situation.approvedHashes = Set(approved.map { $0.string("schema_hash") })
        if let latest = approved.first, let json = latest.optionalString("columns_json"),
            let columns = SchemaColumns.parse(json, table: lineage.sourceTable)
        {
            situation.current = SchemaClassifier.Approved(
                hash: latest.string("schema_hash"),
                columns: columns,
                bindings: try Self.bindings(tx, lineageID: lineage.id)
            )
        }
        situation.policy = try Self.policy(tx, projectID: plan.device.projectID, fleetID: plan.device.fleetID)
        if let (scope, fleetID) = SchemaGovernance.registryScope(
            situation.policy.schemaCoalescingMode,
            fleetID: plan.device.fleetID
        ) {
            situation.registry = try registrySituation(
                tx,
                plan,
                scope: scope,
                fleetID: fleetID,
                table: lineage.sourceTable,
                hash: schema.hash
            )
        }
        situation.openReviews = try tx.query(
            "SELECT id, schema_hash FROM schema_review WHERE lineage_id = ? AND status IN ('queued', 'in_review')",
            [.text(lineage.id)]
        ).map { ($0.string("id"), $0.string("schema_hash")) }
        return situation
    }

    /// The registry of the device's scope: its entry for the hash and its latest approved version.
    private func registrySituation(
        _ tx: any SQLTransaction,
        _ plan: IngestPlan,
        scope: ReviewScope,
        fleetID: String,
        table: String,
        hash: String
    ) throws -> SchemaGovernance.Registry {
        let key: [SQLValue] = [.text(plan.device.projectID), .text(scope.rawValue), .text(fleetID), .text(table)]
        let entry = try tx.first(
            "SELECT * FROM registry_entry WHERE project_id = ? AND scope = ? AND fleet_id = ? AND source_table = ? AND schema_hash = ?",
            key + [.text(hash)]
        )
        let previous = try tx.first(
            """
            SELECT schema_hash, columns_json, bindings_json FROM registry_entry WHERE project_id = ? AND scope = ? AND fleet_id = ?
            AND source_table = ? AND decision = 'approved' ORDER BY updated_at DESC LIMIT 1
            """,
            key
        )
        let previousApproved = try previous.flatMap { row -> SchemaClassifier.Approved? in
            guard let json = row.optionalString("columns_json"), let columns = SchemaColumns.parse(json, table: table)
            else {
                return nil
            }
            return SchemaClassifier.Approved(
                hash: row.string("schema_hash"),
                columns: columns,
                bindings: try Self.registryBindings(row.optionalString("bindings_json")).map(\.action)
            )
        }
        return SchemaGovernance.Registry(
            scope: scope,
            fleetID: fleetID,
            entry: try entry.map {
                SchemaGovernance.Registry.Entry(
                    id: $0.string("id"),
                    decision: SchemaVersion.Decision(rawValue: $0.string("decision")) ?? .pending,
                    hasSharedTarget: try Self.sharedTable(tx, Self.registryEntryState($0)) != nil
                )
            },
            previousApproved: previousApproved
        )
    }
}

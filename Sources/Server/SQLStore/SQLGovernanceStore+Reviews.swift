import EdgeSyncModels
import Foundation

/// Review transitions: the state read, `ReviewMachine` and `Approval` decide, the effects applied.
extension SQLGovernanceStore {
    /// Claims, approves, rejects or abandons a review in one transaction. Returns the review as
    /// it is afterwards and the controls to deliver now.
    public func transitionReview(
        id: String,
        projectID: String,
        registry: Bool,
        principal: Principal,
        _ transition: ReviewTransition,
        now: Timestamp
    ) async throws -> (review: SchemaReview, controls: [OutboundControl]) {
        try await backend.write { tx in
            // The lineage before the review, in the order ingest takes them, so that two
            // transactions never wait for each other.
            if let lineageID = try tx.value("SELECT lineage_id FROM schema_review WHERE id = ?", [.text(id)])?.text {
                _ = try Self.lineageState(tx, id: lineageID)
            }
            guard let review = try Self.review(tx, id: id, projectID: projectID), (review.scope == .device) != registry
            else { throw StoreError.notFound("no \(registry ? "registry" : "schema") review \(id)") }
            try ReviewMachine.check(review, transition, by: principal)
            var effects: [GovernanceEffect]
            if case .approve(let body) = transition {
                effects =
                    registry
                    ? try self.registryApproval(tx, review, body: body, by: principal)
                    : try self.approval(tx, review, body: body, by: principal)
            } else {
                effects = [.updateReview(reviewID: id, ReviewMachine.update(for: transition, by: principal))]
            }
            switch transition {
            case .reject:
                if let lineageID = review.lineageID, var lineage = try Self.lineageState(tx, id: lineageID) {
                    effects += ReviewMachine.rejection(&lineage, hash: review.schemaHash)
                } else if let entry = try Self.registryEntryOfReview(tx, reviewID: id)?.state {
                    effects += ReviewMachine.registryRejection(
                        entryID: entry.id,
                        waiting: try Self.waitingLineages(tx, entry: entry)
                    )
                }
            case .abandon:
                let lineage = try review.lineageID.flatMap { try Self.lineageState(tx, id: $0) }
                let entry = review.scope == .device ? nil : try Self.registryEntryOfReview(tx, reviewID: id)?.state
                effects += ReviewMachine.abandonment(
                    review,
                    lineage: lineage,
                    currentHash: try lineage.flatMap {
                        try tx.value("SELECT schema_hash FROM lineage WHERE id = ?", [.text($0.id)])?.text
                    },
                    registryWaiting: try entry.map { try Self.waitingLineages(tx, entry: $0) } ?? []
                )
            case .claim, .approve:
                break
            }
            effects.append(.record(ReviewMachine.event(review, transition, by: principal)))
            let controls = try self.apply(effects, tx, now: now)
            guard let updated = try Self.reviewRow(tx, id: id) else { throw StoreError.notFound("no review \(id)") }
            return (Self.review(updated), controls)
        }
    }

    /// What approving `review` with `actions` would do now: the DDL on this database, the first
    /// staged rows as the replay would write them, the target's columns these actions stop writing.
    public func previewApproval(
        id: String,
        projectID: String,
        registry: Bool,
        actions: [ColumnAction]
    ) async throws -> ApprovalPreview {
        try await backend.read { tx in
            guard let review = try Self.review(tx, id: id, projectID: projectID), (review.scope == .device) != registry
            else { throw StoreError.notFound("no \(registry ? "registry" : "schema") review \(id)") }
            let (target, lineages): (MaterializationTarget, [LineageState])
            if registry {
                let (entry, plan, _) = try self.registryPlan(tx, review, actions: actions)
                (target, lineages) = (plan.target, try Self.waitingLineages(tx, entry: entry))
            } else {
                let planned = try self.devicePlan(tx, review, actions: actions)
                (target, lineages) = (planned.plan.target, [planned.lineage])
            }
            let existing = try tx.columns(of: target.table)
            let landing = LandingPreview(target: target, strict: self.dialect.strictTypes)
            var staged: [StagedRow] = []
            for lineage in lineages where staged.count < Self.previewRowLimit {
                staged += try ReplayChunk.first(
                    tx,
                    lineageID: lineage.id,
                    strategy: lineage.strategy,
                    limit: Self.previewRowLimit - staged.count
                )
            }
            return ApprovalPreview(
                targetTable: target.table,
                targetExists: !existing.isEmpty,
                statements: try self.provisioningStatements(target, existing: existing),
                dialect: self.dialect.name,
                columns: landing.columns,
                landing: landing.rows(staged),
                stagedRows: lineages.reduce(0) { $0 + $1.stagedRows },
                staleColumns: landing.staleColumns(existing: existing)
            )
        }
    }

    /// Staged rows a preview shows: enough to see the shape, cheap to read on every edit.
    static let previewRowLimit = 5

    /// A device review's approval planned on the reviewed schema, the policy and the device's
    /// data points.
    private func devicePlan(
        _ tx: any SQLTransaction,
        _ review: ReviewState,
        actions: [ColumnAction]
    ) throws -> (lineage: LineageState, columns: [SchemaColumn], plan: Approval.Plan) {
        guard let lineageID = review.lineageID, let lineage = try Self.lineageState(tx, id: lineageID) else {
            throw StoreError.notFound("the review's lineage no longer exists")
        }
        guard
            let columns = try Self.schemaColumns(
                tx,
                lineageID: lineage.id,
                table: lineage.sourceTable,
                hash: review.schemaHash
            )
        else {
            throw StoreError(
                .validationFailed,
                "the columns of schema \(review.schemaHash.prefix(12)) are unknown: the device sent no schema_columns and no rows"
            )
        }
        let policy = try Self.policy(tx, projectID: lineage.projectID, fleetID: lineage.fleetID)
        let points = try tx.query("SELECT id, name FROM data_point WHERE device_id = ?", [.text(lineage.deviceID)])
        let targetTable =
            try lineage.mirrorTable
            ?? Self.freeTargetName(
                tx,
                strategy: lineage.strategy,
                deviceID: lineage.deviceID,
                sourceTable: lineage.sourceTable
            )
        let plan = try Approval.plan(
            strategy: lineage.strategy,
            actions: actions,
            Approval.Context(
                columns: columns,
                dataPoints: Dictionary(
                    points.map { ($0.string("id"), $0.string("name")) },
                    uniquingKeysWith: { first, _ in first }
                ),
                allowAutoCreate: policy.allowAutoCreateDeviceDataPoints,
                targetTable: targetTable
            )
        )
        return (lineage, columns, plan)
    }

    private func approval(
        _ tx: any SQLTransaction,
        _ review: ReviewState,
        body: ApproveReviewRequest,
        by principal: Principal
    ) throws -> [GovernanceEffect] {
        var (lineage, columns, plan) = try devicePlan(tx, review, actions: body.columnActions)
        return Approval.approve(
            review,
            &lineage,
            plan: plan,
            columns: columns,
            syncAuthority: body.syncAuthority,
            by: principal
        )
    }

    /// A registry review's approval planned on the shared target of its scope (named the first
    /// time).
    private func registryPlan(
        _ tx: any SQLTransaction,
        _ review: ReviewState,
        actions: [ColumnAction]
    ) throws -> (entry: RegistryEntryState, plan: Approval.Plan, newTarget: Bool) {
        guard let (entry, json) = try Self.registryEntryOfReview(tx, reviewID: review.id) else {
            throw StoreError.notFound("the review's registry entry no longer exists")
        }
        guard let json, let columns = SchemaColumns.parse(json, table: entry.sourceTable) else {
            throw StoreError(.validationFailed, "the registry entry has no columns to approve")
        }
        let existing = try Self.sharedTable(tx, entry)
        let table =
            existing
            ?? tx.dialect.fitting(
                entry.strategy == .rows
                    ? MirrorIdentifier.mirrorTableName(scope: entry.mirrorScope, sourceTable: entry.sourceTable)
                    : MirrorIdentifier.seriesTableName(scope: entry.mirrorScope, sourceTable: entry.sourceTable)
            )
        let plan = try Approval.plan(
            strategy: entry.strategy,
            actions: actions,
            Approval.Context(
                columns: columns,
                dataPoints: [:],
                allowAutoCreate: false,
                targetTable: table,
                coalesced: true
            )
        )
        return (entry, plan, existing == nil)
    }

    private func registryApproval(
        _ tx: any SQLTransaction,
        _ review: ReviewState,
        body: ApproveReviewRequest,
        by principal: Principal
    ) throws -> [GovernanceEffect] {
        let (entry, plan, newTarget) = try registryPlan(tx, review, actions: body.columnActions)
        return Approval.approveRegistry(
            review,
            entry: entry,
            plan: plan,
            sharedTargetIsNew: newTarget,
            waiting: try Self.waitingLineages(tx, entry: entry),
            by: principal
        )
    }

    static func reviewRow(_ tx: any SQLTransaction, id: String) throws -> SQLRow? {
        try tx.first(
            """
            SELECT r.*, d.name AS device_name, l.staged_row_count FROM schema_review r
            LEFT JOIN device d ON d.id = r.device_id LEFT JOIN lineage l ON l.id = r.lineage_id WHERE r.id = ?
            """,
            [.text(id)]
        )
    }
}

import EdgeSyncModels

/// A binding of a source column to its target, as an approval stores it.
public struct BindingDraft: Sendable, Hashable {
    /// The data point a `map` column writes: one that exists, or one the approval creates.
    public enum DataPoint: Sendable, Hashable {
        case existing(String)
        case autoCreate(name: String)
    }

    public var sourceColumn: String
    public var action: ColumnActionKind
    public var mirrorColumn: String?
    public var dataPoint: DataPoint?
    public var targetColumn: String?
    public var affinity: ColumnAffinity
    public var pkOrdinal: Int

    public init(
        sourceColumn: String,
        action: ColumnActionKind,
        mirrorColumn: String?,
        dataPoint: DataPoint?,
        targetColumn: String?,
        affinity: ColumnAffinity,
        pkOrdinal: Int
    ) {
        self.sourceColumn = sourceColumn
        self.action = action
        self.mirrorColumn = mirrorColumn
        self.dataPoint = dataPoint
        self.targetColumn = targetColumn
        self.affinity = affinity
        self.pkOrdinal = pkOrdinal
    }
}

/// Approve (docs/spec/governance.md, "Column actions"): the actions are validated against the
/// reviewed schema; the target is created or extended, the bindings stored, the version
/// approved, and the lineage set active (unless a primary-key column is deferred), which queues
/// the replay of its staged rows and tells a paused device to resume.
public enum Approval {
    /// What an approval needs to know beyond the review and its lineage.
    public struct Context: Sendable {
        /// The reviewed schema's columns.
        public var columns: [SchemaColumn]
        /// Data points of the device that `map` may name: id → name.
        public var dataPoints: [String: String]
        /// The policy allows `auto_create_and_map`.
        public var allowAutoCreate: Bool
        /// The lineage's target table: its current one, or a free derived name.
        public var targetTable: String
        /// A target shared by a registry scope.
        public var coalesced: Bool

        public init(
            columns: [SchemaColumn],
            dataPoints: [String: String],
            allowAutoCreate: Bool,
            targetTable: String,
            coalesced: Bool = false
        ) {
            self.columns = columns
            self.dataPoints = dataPoints
            self.allowAutoCreate = allowAutoCreate
            self.targetTable = targetTable
            self.coalesced = coalesced
        }
    }

    /// The validated actions, the target they describe and its bindings.
    public struct Plan: Sendable, Hashable {
        public var target: MaterializationTarget
        public var bindings: [BindingDraft]
        /// A primary-key column is deferred: the lineage stays paused.
        public var deferredKey: Bool
    }

    /// Validates the actions (throws the first problem) and works out the target and bindings.
    public static func plan(
        strategy: LineageStrategy,
        actions: [ColumnAction],
        _ context: Context
    ) throws(StoreError) -> Plan {
        if let problem = SchemaClassifier.missingKey(strategy: strategy, columns: context.columns) {
            throw StoreError(
                .tableWithoutPrimaryKey,
                "the table has \(problem)",
                details: ["fix": .array([.string("declare_primary_key"), .string("telemetry_strategy")])]
            )
        }
        let resolved: [ColumnActionValidator.Resolved]
        do {
            resolved = try ColumnActionValidator(
                columns: context.columns,
                strategy: strategy,
                dataPoints: context.dataPoints,
                allowAutoCreate: context.allowAutoCreate
            ).validate(actions)
        } catch {
            throw StoreError(error)
        }
        let byName = Dictionary(context.columns.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let bindings = resolved.compactMap { item -> BindingDraft? in
            guard let column = byName[item.action.sourceColumnName] else { return nil }
            let dataPoint: BindingDraft.DataPoint? =
                switch item.action.action {
                case .autoCreateAndMap: .autoCreate(name: column.name)
                case .map: item.action.deviceDataPointID.map(BindingDraft.DataPoint.existing)
                default: nil
                }
            return BindingDraft(
                sourceColumn: column.name,
                action: item.action.action,
                mirrorColumn: item.action.action == .mirror ? item.targetColumn : nil,
                dataPoint: dataPoint,
                targetColumn: item.targetColumn,
                affinity: column.declTypeAffinity,
                pkOrdinal: strategy == .rows ? column.pkOrdinal : 0
            )
        }
        return Plan(
            target: MaterializationTarget(
                strategy: strategy,
                table: context.targetTable,
                schema: context.columns,
                actions: resolved,
                coalesced: context.coalesced
            ),
            bindings: bindings,
            deferredKey: resolved.contains {
                $0.action.action == .defer && (byName[$0.action.sourceColumnName]?.isPrimaryKey ?? false)
            }
        )
    }

    /// A device review's approval: the effects in the order the store applies them.
    public static func approve(
        _ review: ReviewState,
        _ lineage: inout LineageState,
        plan: Plan,
        columns: [SchemaColumn],
        syncAuthority: SyncAuthority?,
        by principal: Principal
    ) -> [GovernanceEffect] {
        var effects: [GovernanceEffect] = [
            .provisionTarget(plan.target),
            .replaceBindings(lineageID: lineage.id, hash: review.schemaHash, plan.bindings),
            // Columns inferred for an `unknown` schema become the approved version's columns.
            .approveSchemaVersion(
                lineageID: lineage.id,
                hash: review.schemaHash,
                columnsJSON: SchemaColumns.json(columns, table: lineage.sourceTable)
            ),
            .updateReview(reviewID: review.id, .decided(status: .approved, by: principal.name, reason: nil)),
            .setTarget(lineageID: lineage.id, table: plan.target.table, syncAuthority: syncAuthority),
        ]
        lineage.mirrorTable = plan.target.table
        if let syncAuthority { lineage.syncAuthority = syncAuthority }
        guard !plan.deferredKey else { return effects }
        effects += LineageLifecycle.activate(
            &lineage,
            message: "schema \(review.schemaHash.prefix(12)) approved by \(principal.name)"
        )
        return effects
    }

    /// A registry review's approval: the shared target (registered when new) with the approved
    /// bindings, and the adoption by every lineage of the scope waiting on the hash. Data points
    /// belong to single devices, so `plan` was made without any.
    public static func approveRegistry(
        _ review: ReviewState,
        entry: RegistryEntryState,
        plan: Plan,
        sharedTargetIsNew: Bool,
        waiting: [LineageState],
        by principal: Principal
    ) -> [GovernanceEffect] {
        var effects: [GovernanceEffect] = []
        if sharedTargetIsNew { effects.append(.registerSharedTarget(entry, table: plan.target.table)) }
        effects += [
            .provisionTarget(plan.target),
            .decideRegistryEntry(entryID: entry.id, decision: .approved, bindings: plan.bindings),
            .updateReview(reviewID: review.id, .decided(status: .approved, by: principal.name, reason: nil)),
        ]
        for var lineage in waiting {
            effects += adopt(&lineage, entryID: entry.id, hash: entry.hash, scope: entry.scope)
        }
        return effects
    }

    /// A lineage of a registry's scope that waits on an approved hash adopts the registry's
    /// bindings and shared target, and becomes active.
    public static func adopt(
        _ lineage: inout LineageState,
        entryID: String,
        hash: String,
        scope: ReviewScope
    ) -> [GovernanceEffect] {
        [.adoptRegistryEntry(lineageID: lineage.id, entryID: entryID)]
            + LineageLifecycle.activate(
                &lineage,
                message: "schema \(hash.prefix(12)) approved in the \(scope.rawValue) registry"
            )
    }
}

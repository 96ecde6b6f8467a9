import EdgeSyncModels

/// What a batch's schema does to its lineage (docs/spec/governance.md, "Schema versions and
/// classification", "Registry coalescing"): a hash the lineage has not had approved is recorded,
/// classified against the current approved version and, when a human must decide, queues a
/// review (superseding an open one for an older hash) and pauses the lineage; an approved one
/// (the lineage's own, or the registry's) lets its rows materialize.
public enum SchemaGovernance {
    /// A version of the lineage seen before.
    public struct Known: Sendable, Hashable {
        public var decision: SchemaVersion.Decision
        public var hasColumns: Bool

        public init(decision: SchemaVersion.Decision, hasColumns: Bool) {
            self.decision = decision
            self.hasColumns = hasColumns
        }
    }

    /// The registry of the device's scope, in project or fleet coalescing mode.
    public struct Registry: Sendable {
        public var scope: ReviewScope
        public var fleetID: String
        /// The registry's entry for this hash, if it has one.
        public var entry: Entry?
        /// The registry's latest approved version of the table, to classify a new hash against.
        public var previousApproved: SchemaClassifier.Approved?

        public struct Entry: Sendable, Hashable {
            public var id: String
            public var decision: SchemaVersion.Decision
            /// The shared target exists (the entry's approval created it).
            public var hasSharedTarget: Bool

            public init(id: String, decision: SchemaVersion.Decision, hasSharedTarget: Bool) {
                self.id = id
                self.decision = decision
                self.hasSharedTarget = hasSharedTarget
            }
        }

        public init(scope: ReviewScope, fleetID: String, entry: Entry?, previousApproved: SchemaClassifier.Approved?) {
            self.scope = scope
            self.fleetID = fleetID
            self.entry = entry
            self.previousApproved = previousApproved
        }
    }

    /// Everything the decision reads, as one transaction sees it.
    public struct Situation: Sendable {
        public var lineage: LineageState
        public var deviceName: String
        public var hash: String
        /// The batch's `schema_columns`, when sent.
        public var columns: [SchemaColumn]?
        public var columnsJSON: String?
        /// Columns inferred from the batch's rows (for a registry entry of an `unknown` schema).
        public var inferredColumns: [SchemaColumn]?
        public var known: Known?
        /// A `sync/schema/observe` of this hash with its columns.
        public var observedColumnsJSON: String?
        /// The lineage's current approved version (its latest), with its bindings.
        public var current: SchemaClassifier.Approved?
        public var approvedHashes: Set<String>
        public var policy: Policy
        public var registry: Registry?
        /// Open reviews of the lineage, with their hashes.
        public var openReviews: [(id: String, hash: String)]

        public init(
            lineage: LineageState,
            deviceName: String,
            hash: String,
            columns: [SchemaColumn]?,
            columnsJSON: String?,
            inferredColumns: [SchemaColumn]?,
            known: Known?,
            observedColumnsJSON: String?,
            current: SchemaClassifier.Approved?,
            approvedHashes: Set<String>,
            policy: Policy,
            registry: Registry?,
            openReviews: [(id: String, hash: String)]
        ) {
            self.lineage = lineage
            self.deviceName = deviceName
            self.hash = hash
            self.columns = columns
            self.columnsJSON = columnsJSON
            self.inferredColumns = inferredColumns
            self.known = known
            self.observedColumnsJSON = observedColumnsJSON
            self.current = current
            self.approvedHashes = approvedHashes
            self.policy = policy
            self.registry = registry
            self.openReviews = openReviews
        }
    }

    public struct Decision: Sendable, Hashable {
        public var effects: [GovernanceEffect]
        /// The lineage as the effects leave it.
        public var lineage: LineageState
        /// Why the batch's rows are staged; nil when they materialize.
        public var stagingReason: StagingReason? { lineage.stagingReason }
    }

    public static func decide(_ situation: Situation) -> Decision {
        var lineage = situation.lineage
        var effects: [GovernanceEffect] = []
        var approvedAlready = false
        if let known = situation.known {
            if !known.hasColumns, let json = situation.columnsJSON {
                effects.append(.fillSchemaColumns(lineageID: lineage.id, hash: situation.hash, columnsJSON: json))
            }
            approvedAlready = known.decision == .approved
        } else {
            let (newEffects, approved) = classifyNewHash(situation, &lineage)
            effects += newEffects
            approvedAlready = approved
        }
        if approvedAlready, lineage.status == .paused, lineage.pauseReason == .schemaReview {
            effects += LineageLifecycle.activate(
                &lineage,
                message: "schema \(situation.hash.prefix(12)) is already approved"
            )
        }
        return Decision(effects: effects, lineage: lineage)
    }

    /// A hash the lineage has never sent: record it, classify it, and queue a review or adopt the
    /// registry's decision. Returns whether its rows may materialize as they are.
    private static func classifyNewHash(
        _ situation: Situation,
        _ lineage: inout LineageState
    ) -> ([GovernanceEffect], Bool) {
        let columnsJSON = situation.columnsJSON ?? situation.observedColumnsJSON
        let columns =
            situation.columns ?? columnsJSON.flatMap { SchemaColumns.parse($0, table: lineage.sourceTable) }
        let entry = situation.registry?.entry
        let verdict = SchemaClassifier.flagged(
            SchemaClassifier.classify(
                hash: situation.hash,
                columns: columns,
                current: situation.current,
                approvedHashes: situation.approvedHashes,
                registryApproved: entry?.decision == .approved
            ),
            strategy: lineage.strategy,
            columns: columns
        )
        var effects: [GovernanceEffect] = [
            .recordSchemaVersion(
                SchemaVersionDraft(
                    lineageID: lineage.id,
                    hash: situation.hash,
                    columnsJSON: columnsJSON,
                    classification: verdict.classification,
                    decision: verdict.needsReview ? .pending : .approved
                )
            )
        ]
        var approved = false
        if verdict.needsReview {
            if let registry = situation.registry {
                if entry == nil { effects.append(registryReview(situation, registry)) }
            } else {
                effects += supersede(situation, lineage)
                effects.append(review(situation, lineage, verdict))
            }
            let continues =
                verdict.classification == .compatibleAdditive && situation.policy.allowAdditiveContinue
                && situation.current != nil
            if lineage.status == .active, !continues {
                effects += LineageLifecycle.pauseForReview(
                    &lineage,
                    reason: entry?.decision == .rejected ? .rejected : .schemaReview
                )
            }
        } else if let entry, entry.decision == .approved {
            if entry.hasSharedTarget {
                effects.append(.adoptRegistryEntry(lineageID: lineage.id, entryID: entry.id))
                effects += LineageLifecycle.activate(
                    &lineage,
                    message:
                        "schema \(situation.hash.prefix(12)) approved in the \(situation.registry?.scope.rawValue ?? "") registry"
                )
            }
        } else {
            approved = true
        }
        effects.append(.setCurrentSchema(lineageID: lineage.id, hash: situation.hash))
        return (effects, approved)
    }

    /// Open reviews of the lineage for another hash give way to the new one.
    private static func supersede(_ situation: Situation, _ lineage: LineageState) -> [GovernanceEffect] {
        situation.openReviews.filter { $0.hash != situation.hash }.flatMap { open -> [GovernanceEffect] in
            [
                .updateReview(reviewID: open.id, .decided(status: .abandoned, by: nil, reason: "superseded")),
                .record(
                    GovernanceEvent(
                        lineage,
                        .reviewAbandoned,
                        outcome: "superseded",
                        message: "review \(open.id) superseded by schema \(situation.hash.prefix(12))"
                    )
                ),
            ]
        }
    }

    private static func review(
        _ situation: Situation,
        _ lineage: LineageState,
        _ verdict: SchemaClassifier.Verdict
    ) -> GovernanceEffect {
        .queueReview(
            ReviewDraft(
                scope: .device,
                lineageID: lineage.id,
                deviceID: lineage.deviceID,
                projectID: lineage.projectID,
                fleetID: lineage.fleetID,
                sourceTable: lineage.sourceTable,
                strategy: lineage.strategy,
                hash: situation.hash,
                previousHash: situation.current?.hash,
                classification: verdict.classification,
                reason: verdict.reason,
                message: "\(situation.deviceName)/\(lineage.sourceTable): \(verdict.reason)"
            )
        )
    }

    /// A hash the registry has not seen: a pending entry and a review at the registry's scope,
    /// classified against the registry's latest approved version.
    private static func registryReview(_ situation: Situation, _ registry: Registry) -> GovernanceEffect {
        let lineage = situation.lineage
        let verdict = SchemaClassifier.flagged(
            SchemaClassifier.classify(
                hash: situation.hash,
                columns: situation.columns,
                current: registry.previousApproved,
                approvedHashes: []
            ),
            strategy: lineage.strategy,
            columns: situation.columns
        )
        let columnsJSON =
            situation.columnsJSON
            ?? (situation.columns ?? situation.inferredColumns).map {
                SchemaColumns.json($0, table: lineage.sourceTable)
            }
        return .queueReview(
            ReviewDraft(
                scope: registry.scope,
                lineageID: lineage.id,
                deviceID: lineage.deviceID,
                projectID: lineage.projectID,
                fleetID: registry.fleetID,
                sourceTable: lineage.sourceTable,
                strategy: lineage.strategy,
                hash: situation.hash,
                previousHash: registry.previousApproved?.hash,
                classification: verdict.classification,
                reason: verdict.reason,
                columnsJSON: columnsJSON,
                message:
                    "registry (\(registry.scope.rawValue)) \(lineage.sourceTable): \(verdict.reason), first seen from \(situation.deviceName)"
            )
        )
    }

    /// The registry key of a device's scope in a coalescing mode: (`project`|`fleet`, fleet id or '').
    public static func registryScope(_ mode: CoalescingMode, fleetID: String) -> (ReviewScope, String)? {
        switch mode {
        case .perDevice: nil
        case .fleet: (.fleet, fleetID)
        case .project: (.project, "")
        }
    }
}

/// A schema version's columns as stored: the `columns` array of its fingerprint document.
public enum SchemaColumns {
    public static func json(_ columns: [SchemaColumn], table: String) -> String {
        CanonicalJSON.string(
            of: SchemaFingerprint(tableName: table, columns: columns).jsonValue["columns"] ?? .array([])
        )
    }

    public static func parse(_ json: String, table: String) -> [SchemaColumn]? {
        guard let value = try? JSONParser().parse(json) else { return nil }
        return (try? SchemaFingerprint(json: .object(["table_name": .string(table), "columns": value])))?.columns
    }
}

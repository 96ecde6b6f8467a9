import EdgeSyncModels

/// A review mutation as the API asks for it (docs/spec/governance.md, "Schema reviews").
public enum ReviewTransition: Sendable, Hashable {
    case claim(actionVersion: Int)
    case approve(ApproveReviewRequest)
    case reject(ReviewTransitionRequest)
    case abandon(ReviewTransitionRequest)

    public var name: String {
        switch self {
        case .claim: "claim"
        case .approve: "approve"
        case .reject: "reject"
        case .abandon: "abandon"
        }
    }

    public var actionVersion: Int {
        switch self {
        case .claim(let version): version
        case .approve(let body): body.actionVersion
        case .reject(let body), .abandon(let body): body.actionVersion
        }
    }

    public var force: Bool {
        switch self {
        case .claim: false
        case .approve(let body): body.force ?? false
        case .reject(let body), .abandon(let body): body.force ?? false
        }
    }

    /// The event a successful transition records.
    public var eventKind: EventKind {
        switch self {
        case .claim: .reviewClaimed
        case .approve: .reviewApproved
        case .reject: .reviewRejected
        case .abandon: .reviewAbandoned
        }
    }
}

/// A review as the rules see it.
public struct ReviewState: Sendable, Hashable {
    public var id: String
    public var projectID: String
    public var scope: ReviewScope
    public var status: ReviewStatus
    public var actionVersion: Int
    public var claimedBy: String?
    public var claimedByToken: String?
    /// Device reviews: their lineage.
    public var lineageID: String?
    public var deviceID: String?
    public var sourceTable: String
    public var schemaHash: String
    /// What a review queued again after an abandon copies.
    public var fleetID: String
    public var strategy: LineageStrategy
    public var previousHash: String?
    public var classification: SchemaClassification
    public var classificationReason: String

    public init(
        id: String,
        projectID: String,
        scope: ReviewScope,
        status: ReviewStatus,
        actionVersion: Int,
        claimedBy: String?,
        claimedByToken: String?,
        lineageID: String?,
        deviceID: String?,
        sourceTable: String,
        schemaHash: String,
        fleetID: String = "",
        strategy: LineageStrategy = .rows,
        previousHash: String? = nil,
        classification: SchemaClassification = .ambiguous,
        classificationReason: String = ""
    ) {
        self.fleetID = fleetID
        self.strategy = strategy
        self.previousHash = previousHash
        self.classification = classification
        self.classificationReason = classificationReason
        self.id = id
        self.projectID = projectID
        self.scope = scope
        self.status = status
        self.actionVersion = actionVersion
        self.claimedBy = claimedBy
        self.claimedByToken = claimedByToken
        self.lineageID = lineageID
        self.deviceID = deviceID
        self.sourceTable = sourceTable
        self.schemaHash = schemaHash
    }
}

/// The review state machine: `queued` → (claim) `in_review` → (approve) `approved` | (reject)
/// `rejected`; `queued` or `in_review` → (abandon) `abandoned`. Every transition carries the
/// `action_version` the caller saw and increases it; only the claimer decides, unless an admin
/// forces.
public enum ReviewMachine {
    /// Checks that `principal` may apply `transition` to `review` now; throws the refusal.
    public static func check(
        _ review: ReviewState,
        _ transition: ReviewTransition,
        by principal: Principal
    ) throws(StoreError) {
        guard transition.actionVersion == review.actionVersion else {
            throw StoreError(
                .actionVersionConflict,
                "the review is at action_version \(review.actionVersion); reload it and try again",
                details: ["current_action_version": .integer(Int64(review.actionVersion))]
            )
        }
        guard review.status.isOpen else {
            throw StoreError(
                .invalidTransition,
                "the review is \(review.status.rawValue); it cannot be \(transition.name)ed"
            )
        }
        if transition.force, !principal.has(.admin) {
            throw StoreError(.forbidden, "force needs the admin scope")
        }
        switch transition {
        case .claim:
            guard review.status == .queued else {
                throw StoreError(
                    .invalidTransition,
                    "the review is already claimed by \(review.claimedBy ?? "someone")"
                )
            }
        case .approve, .reject:
            try requireClaimer(review, principal, force: transition.force)
        case .abandon:
            if review.status == .inReview { try requireClaimer(review, principal, force: transition.force) }
        }
    }

    private static func requireClaimer(_ review: ReviewState, _ principal: Principal, force: Bool) throws(StoreError) {
        guard !force else { return }
        guard review.status == .inReview else {
            throw StoreError(.invalidTransition, "claim the review first (or, as admin, pass force: true)")
        }
        guard review.claimedByToken == principal.tokenID else {
            throw StoreError(
                .notClaimer,
                "only the claimer (\(review.claimedBy ?? "?")) may decide; an admin may pass force: true"
            )
        }
    }

    /// The review's own update for a checked transition (an approval's consequences are the
    /// `Approval`'s).
    public static func update(for transition: ReviewTransition, by principal: Principal) -> ReviewUpdate {
        switch transition {
        case .claim: .claimed(by: principal.name, token: principal.tokenID)
        case .approve: .decided(status: .approved, by: principal.name, reason: nil)
        case .reject(let body): .decided(status: .rejected, by: principal.name, reason: body.reason)
        case .abandon(let body): .decided(status: .abandoned, by: principal.name, reason: body.reason)
        }
    }

    /// The event of a transition.
    public static func event(
        _ review: ReviewState,
        _ transition: ReviewTransition,
        by principal: Principal
    ) -> GovernanceEvent {
        GovernanceEvent(
            projectID: review.projectID,
            deviceID: review.deviceID,
            lineageID: review.lineageID,
            kind: transition.eventKind,
            outcome: principal.name,
            message:
                "\(review.sourceTable) schema \(review.schemaHash.prefix(12)): \(transition.name) by \(principal.name)"
        )
    }

    /// An abandoned review gives the decision back, never drops it: while rows still wait on its
    /// schema (the lineage paused for `schema_review` on this hash, or lineages waiting on a
    /// pending registry entry), a fresh review is queued in its place, so a lineage paused for
    /// `schema_review` always has an open review.
    public static func abandonment(
        _ review: ReviewState,
        lineage: LineageState?,
        currentHash: String?,
        registryWaiting: [LineageState]
    ) -> [GovernanceEffect] {
        let waiting: Bool
        let deviceID: String
        if review.scope == .device {
            guard let lineage else { return [] }
            waiting =
                lineage.status == .paused && lineage.pauseReason == .schemaReview && currentHash == review.schemaHash
            deviceID = lineage.deviceID
        } else {
            waiting = !registryWaiting.isEmpty
            deviceID = registryWaiting.first?.deviceID ?? ""
        }
        guard waiting else { return [] }
        return [
            .queueReview(
                ReviewDraft(
                    scope: review.scope,
                    lineageID: review.lineageID ?? registryWaiting.first?.id ?? "",
                    deviceID: deviceID,
                    projectID: review.projectID,
                    fleetID: review.fleetID,
                    sourceTable: review.sourceTable,
                    strategy: review.strategy,
                    hash: review.schemaHash,
                    previousHash: review.previousHash,
                    classification: review.classification,
                    reason: review.classificationReason,
                    message:
                        "\(review.sourceTable) schema \(review.schemaHash.prefix(12)): queued again after review \(review.id) was abandoned",
                    replacing: review.id
                )
            )
        ]
    }

    /// A rejected schema: the version is rejected and the lineage stays paused (`rejected`), its
    /// staged rows kept.
    public static func rejection(_ lineage: inout LineageState, hash: String) -> [GovernanceEffect] {
        lineage.status = .paused
        lineage.pauseReason = .rejected
        return [
            .decideSchemaVersion(lineageID: lineage.id, hash: hash, decision: .rejected),
            .setStatus(lineageID: lineage.id, status: .paused, pauseReason: .rejected),
        ]
    }

    /// A rejected registry schema: the entry is rejected and every lineage of the scope waiting
    /// on the hash stays paused (`rejected`).
    public static func registryRejection(entryID: String, waiting: [LineageState]) -> [GovernanceEffect] {
        [.decideRegistryEntry(entryID: entryID, decision: .rejected, bindings: nil)]
            + waiting.map { .setStatus(lineageID: $0.id, status: .paused, pauseReason: .rejected) }
    }
}

import EdgeSyncModels
import Testing

@testable import Server

@Suite("Rules: what a batch's schema does to its lineage")
struct SchemaGovernanceTests {
    typealias S = GovernanceSamples

    static func situation(
        lineage: LineageState = S.lineage(),
        hash: String = "new-hash",
        columns: [SchemaColumn]? = S.columns,
        known: SchemaGovernance.Known? = nil,
        current: SchemaClassifier.Approved? = nil,
        policy: Policy = .defaults,
        registry: SchemaGovernance.Registry? = nil,
        openReviews: [(id: String, hash: String)] = []
    ) -> SchemaGovernance.Situation {
        SchemaGovernance.Situation(
            lineage: lineage,
            deviceName: "pump-7",
            hash: hash,
            columns: columns,
            columnsJSON: columns.map { SchemaColumns.json($0, table: "device_state") },
            inferredColumns: nil,
            known: known,
            observedColumnsJSON: nil,
            current: current,
            approvedHashes: current.map { [$0.hash] } ?? [],
            policy: policy,
            registry: registry,
            openReviews: openReviews
        )
    }

    static let approvedV1 = SchemaClassifier.Approved(hash: "v1", columns: Array(S.columns.prefix(2)), bindings: [])

    static func reviews(_ effects: [GovernanceEffect]) -> [ReviewDraft] {
        effects.compactMap {
            if case .queueReview(let draft) = $0 { return draft }
            return nil
        }
    }

    @Test func aFirstSchemaQueuesAReviewAndStagesTheRows() {
        let decision = SchemaGovernance.decide(Self.situation())
        #expect(decision.stagingReason == .schemaReview)
        let draft = Self.reviews(decision.effects)
        #expect(draft.count == 1 && draft[0].classification == .ambiguous && draft[0].scope == .device)
        #expect(decision.effects.last == .setCurrentSchema(lineageID: "lin-1", hash: "new-hash"))
    }

    @Test func aKnownApprovedHashLetsAPausedLineageGoOn() {
        let lineage = S.lineage(status: .paused, pauseReason: .schemaReview, staged: 3)
        let decision = SchemaGovernance.decide(
            Self.situation(lineage: lineage, known: .init(decision: .approved, hasColumns: true))
        )
        #expect(decision.stagingReason == nil && decision.effects.contains(.openReplay(lineageID: "lin-1")))
    }

    @Test func aKnownHashWithoutColumnsGetsThemFromTheBatch() {
        let decision = SchemaGovernance.decide(Self.situation(known: .init(decision: .pending, hasColumns: false)))
        #expect(
            decision.effects == [
                .fillSchemaColumns(
                    lineageID: "lin-1",
                    hash: "new-hash",
                    columnsJSON: SchemaColumns.json(S.columns, table: "device_state")
                )
            ]
        )
    }

    @Test func anAdditiveChangeContinuesOnlyWhenThePolicyAllows() {
        let strict = SchemaGovernance.decide(Self.situation(current: Self.approvedV1))
        #expect(Self.reviews(strict.effects).first?.classification == .compatibleAdditive)
        #expect(strict.stagingReason == .schemaReview)
        var policy = Policy.defaults
        policy.allowAdditiveContinue = true
        let lenient = SchemaGovernance.decide(Self.situation(current: Self.approvedV1, policy: policy))
        #expect(Self.reviews(lenient.effects).count == 1 && lenient.stagingReason == nil)
    }

    @Test func aNewHashSupersedesTheOpenReviewOfAnOlderOne() {
        let decision = SchemaGovernance.decide(
            Self.situation(openReviews: [("old-review", "older-hash"), ("same", "new-hash")])
        )
        #expect(
            decision.effects.contains(
                .updateReview(reviewID: "old-review", .decided(status: .abandoned, by: nil, reason: "superseded"))
            )
        )
        #expect(
            !decision.effects.contains {
                $0 == .updateReview(reviewID: "same", .decided(status: .abandoned, by: nil, reason: "superseded"))
            }
        )
    }

    @Test func inARegistryModeTheScopeDecidesOnce() {
        let unseen = SchemaGovernance.decide(
            Self.situation(registry: .init(scope: .project, fleetID: "", entry: nil, previousApproved: nil))
        )
        #expect(Self.reviews(unseen.effects).map(\.scope) == [.project] && unseen.stagingReason == .schemaReview)
        let approved = SchemaGovernance.decide(
            Self.situation(
                registry: .init(
                    scope: .fleet,
                    fleetID: "fleet-1",
                    entry: .init(id: "entry-1", decision: .approved, hasSharedTarget: true),
                    previousApproved: nil
                )
            )
        )
        #expect(approved.effects.contains(.adoptRegistryEntry(lineageID: "lin-1", entryID: "entry-1")))
        #expect(approved.stagingReason == nil && Self.reviews(approved.effects).isEmpty)
        let rejected = SchemaGovernance.decide(
            Self.situation(
                registry: .init(
                    scope: .project,
                    fleetID: "",
                    entry: .init(id: "entry-1", decision: .rejected, hasSharedTarget: false),
                    previousApproved: nil
                )
            )
        )
        #expect(rejected.lineage.pauseReason == .rejected && Self.reviews(rejected.effects).isEmpty)
    }

    @Test func theRegistryScopeFollowsTheCoalescingMode() {
        #expect(SchemaGovernance.registryScope(.perDevice, fleetID: "f") == nil)
        #expect(SchemaGovernance.registryScope(.fleet, fleetID: "f").map { [$0.0.rawValue, $0.1] } == ["fleet", "f"])
        #expect(
            SchemaGovernance.registryScope(.project, fleetID: "f").map { [$0.0.rawValue, $0.1] } == ["project", ""]
        )
    }
}

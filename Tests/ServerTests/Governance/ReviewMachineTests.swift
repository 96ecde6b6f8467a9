import EdgeSyncModels
import Testing

@testable import Server

@Suite("Rules: the review state machine")
struct ReviewMachineTests {
    typealias S = GovernanceSamples

    static func approve(version: Int = 2, force: Bool = false) -> ReviewTransition {
        .approve(ApproveReviewRequest(actionVersion: version, columnActions: S.mirrorAll, force: force))
    }

    static func refusal(_ review: ReviewState, _ transition: ReviewTransition, _ principal: Principal) -> StoreError? {
        do {
            try ReviewMachine.check(review, transition, by: principal)
            return nil
        } catch {
            return error
        }
    }

    @Test func aStaleActionVersionIsAConflictThatNamesTheCurrentOne() {
        let error = Self.refusal(S.review(), Self.approve(version: 1), S.alice)
        #expect(error?.code == .actionVersionConflict && error?.details?["current_action_version"] == .integer(2))
    }

    @Test func onlyAQueuedReviewCanBeClaimed() {
        #expect(Self.refusal(S.review(status: .queued, claimer: nil), .claim(actionVersion: 2), S.bob) == nil)
        #expect(Self.refusal(S.review(), .claim(actionVersion: 2), S.bob)?.code == .invalidTransition)
    }

    @Test func onlyTheClaimerDecidesUnlessAnAdminForces() {
        #expect(Self.refusal(S.review(), Self.approve(), S.alice) == nil)
        #expect(Self.refusal(S.review(), Self.approve(), S.bob)?.code == .notClaimer)
        #expect(Self.refusal(S.review(), Self.approve(force: true), S.bob)?.code == .forbidden)
        #expect(Self.refusal(S.review(), Self.approve(force: true), S.admin) == nil)
        #expect(
            Self.refusal(S.review(status: .queued, claimer: nil), Self.approve(), S.alice)?.code == .invalidTransition
        )
        #expect(Self.refusal(S.review(status: .queued, claimer: nil), Self.approve(force: true), S.admin) == nil)
    }

    @Test func aDecidedReviewTakesNoTransition() {
        for status in [ReviewStatus.approved, .rejected, .abandoned] {
            #expect(Self.refusal(S.review(status: status), Self.approve(), S.alice)?.code == .invalidTransition)
        }
    }

    @Test func anyoneAbandonsAQueuedReviewButOnlyTheClaimerOneInReview() {
        let abandon = ReviewTransition.abandon(ReviewTransitionRequest(actionVersion: 2))
        #expect(Self.refusal(S.review(status: .queued, claimer: nil), abandon, S.bob) == nil)
        #expect(Self.refusal(S.review(), abandon, S.bob)?.code == .notClaimer)
    }

    @Test func eachTransitionHasItsUpdateAndEvent() {
        #expect(
            ReviewMachine.update(for: .claim(actionVersion: 1), by: S.alice) == .claimed(by: "alice", token: "tok-1")
        )
        #expect(
            ReviewMachine.update(for: .reject(ReviewTransitionRequest(actionVersion: 1, reason: "no")), by: S.alice)
                == .decided(status: .rejected, by: "alice", reason: "no")
        )
        let event = ReviewMachine.event(S.review(), Self.approve(), by: S.alice)
        #expect(event.kind == .reviewApproved && event.message == "device_state schema a1b2c3d4e5f6: approve by alice")
    }

    @Test func aRejectionKeepsTheLineagePausedAndItsRows() {
        var lineage = S.lineage(status: .paused, pauseReason: .schemaReview, staged: 9)
        let effects = ReviewMachine.rejection(&lineage, hash: "h")
        #expect(lineage.pauseReason == .rejected && lineage.stagedRows == 9)
        #expect(effects.first == .decideSchemaVersion(lineageID: "lin-1", hash: "h", decision: .rejected))
        let waiting = [S.lineage(status: .paused, pauseReason: .schemaReview)]
        #expect(
            ReviewMachine.registryRejection(entryID: "e", waiting: waiting) == [
                .decideRegistryEntry(entryID: "e", decision: .rejected, bindings: nil),
                .setStatus(lineageID: "lin-1", status: .paused, pauseReason: .rejected),
            ]
        )
    }
}

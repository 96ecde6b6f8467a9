import EdgeSyncModels
import Testing

@testable import Server

@Suite("Rules: lineage pause and resume")
struct LineageLifecycleTests {
    typealias S = GovernanceSamples

    @Test func aReviewPauseStaysOnTheServer() {
        var lineage = S.lineage()
        let effects = LineageLifecycle.pauseForReview(&lineage, reason: .schemaReview)
        #expect(lineage.status == .paused && lineage.pauseReason == .schemaReview && !lineage.devicePaused)
        #expect(S.controls(effects).isEmpty && S.events(effects) == [.lineagePaused])
    }

    @Test func aDevicePauseTellsTheDeviceFromTheWatermark() {
        var lineage = S.lineage()
        let effects = LineageLifecycle.pauseDevice(&lineage, reason: .backpressure, message: "full")
        #expect(lineage.status == .paused && lineage.pauseReason == .backpressure && lineage.devicePaused)
        #expect(
            S.controls(effects)
                == [.pauseLineage(sourceTable: "device_state", serverWatermark: 42, reason: "backpressure")]
        )
        #expect(effects.contains(.setDevicePaused(lineageID: "lin-1", true)))
    }

    @Test func aDevicePauseKeepsTheReviewReason() {
        var lineage = S.lineage(status: .paused, pauseReason: .schemaReview)
        _ = LineageLifecycle.pauseDevice(&lineage, reason: .backpressure, message: "full")
        #expect(lineage.pauseReason == .schemaReview && lineage.devicePaused)
    }

    @Test func activationReplaysTheBacklogAndResumesTheDevice() {
        var lineage = S.lineage(status: .paused, pauseReason: .backpressure, devicePaused: true, staged: 7)
        let effects = LineageLifecycle.activate(&lineage, message: "approved")
        #expect(lineage.status == .active && lineage.pauseReason == nil && !lineage.devicePaused && lineage.replayOpen)
        #expect(effects.contains(.openReplay(lineageID: "lin-1")))
        #expect(S.events(effects) == [.lineageResumed])
        #expect(S.controls(effects) == [.resumeLineage(sourceTable: "device_state", serverWatermark: 42)])
    }

    @Test func activationOpensNoSecondReplayAndNeedsNoBacklog() {
        var open = S.lineage(status: .paused, pauseReason: .schemaReview, staged: 3, replayOpen: true)
        #expect(!LineageLifecycle.activate(&open, message: "").contains(.openReplay(lineageID: "lin-1")))
        var empty = S.lineage(status: .paused, pauseReason: .schemaReview)
        let effects = LineageLifecycle.activate(&empty, message: "")
        #expect(!effects.contains(.openReplay(lineageID: "lin-1")) && S.controls(effects).isEmpty)
    }

    @Test func resumingAReviewPauseOnlyLetsTheDevicePublish() {
        var lineage = S.lineage(status: .paused, pauseReason: .schemaReview, devicePaused: true, staged: 5)
        let effects = LineageLifecycle.resume(&lineage, message: "")
        #expect(lineage.status == .paused && lineage.pauseReason == .schemaReview && !lineage.devicePaused)
        #expect(S.controls(effects).count == 1 && !effects.contains(.openReplay(lineageID: "lin-1")))
    }

    @Test func aReplayOpensOnlyForAnActiveLineageWithABacklog() {
        var paused = S.lineage(status: .paused, pauseReason: .schemaReview, staged: 5)
        #expect(LineageLifecycle.ensureReplay(&paused).isEmpty)
        var idle = S.lineage()
        #expect(LineageLifecycle.ensureReplay(&idle).isEmpty)
        var backlog = S.lineage(staged: 5)
        #expect(LineageLifecycle.ensureReplay(&backlog) == [.openReplay(lineageID: "lin-1")])
        #expect(LineageLifecycle.ensureReplay(&backlog).isEmpty)
    }
}

import EdgeSyncModels
import Testing

@testable import Server

@Suite("Rules: backpressure")
struct BackpressureTests {
    typealias S = GovernanceSamples

    @Test(arguments: [(Int64(100), Int64(10_000), false), (101, 0, true), (0, 10_001, true)])
    func overACapPausesTheDevice(rows: Int64, bytes: Int64, pauses: Bool) {
        var lineage = S.lineage(staged: rows, bytes: bytes)
        let effects = Backpressure.afterStaging(&lineage, policy: S.policy())
        #expect(!S.controls(effects).isEmpty == pauses)
        #expect((lineage.pauseReason == .backpressure) == pauses)
    }

    @Test func aLineagePausedOnTheDeviceIsNotPausedAgain() {
        var lineage = S.lineage(status: .paused, pauseReason: .backpressure, devicePaused: true, staged: 500)
        #expect(Backpressure.afterStaging(&lineage, policy: S.policy()).isEmpty)
    }

    @Test(arguments: [(Int64(79), Int64(0), true), (80, 0, false), (10, 8_000, false), (10, 7_999, true)])
    func theSweepResumesBelowTheThresholdOfBothCaps(rows: Int64, bytes: Int64, resumes: Bool) {
        var lineage = S.lineage(
            status: .paused,
            pauseReason: .backpressure,
            devicePaused: true,
            staged: rows,
            bytes: bytes
        )
        let effects = Backpressure.sweep(&lineage, policy: S.policy())
        #expect((lineage.status == .active) == resumes)
        #expect(
            S.controls(effects) == (resumes ? [.resumeLineage(sourceTable: "device_state", serverWatermark: 42)] : [])
        )
    }

    @Test func theSweepLeavesABreakerPauseToTheOperator() {
        var lineage = S.lineage(status: .paused, pauseReason: .materializationFailure, devicePaused: true)
        #expect(Backpressure.sweep(&lineage, policy: S.policy()).isEmpty)
    }

    @Test func theSweepOfALineageInReviewLetsTheDevicePublishButKeepsThePause() {
        var lineage = S.lineage(status: .paused, pauseReason: .schemaReview, devicePaused: true, staged: 1)
        let effects = Backpressure.sweep(&lineage, policy: S.policy())
        #expect(lineage.status == .paused && !lineage.devicePaused && S.controls(effects).count == 1)
    }
}

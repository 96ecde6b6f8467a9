import EdgeSyncModels
import Testing

@testable import Server

@Suite("Rules: circuit breaker")
struct CircuitBreakerTests {
    typealias S = GovernanceSamples

    @Test func fiveConsecutivePermanentFailuresOpenItAndPauseTheDevice() {
        var breaker = CircuitBreaker(consecutive: 0)
        for _ in 1..<CircuitBreaker.threshold { breaker.failed(permanent: true, message: "bad row") }
        var lineage = S.lineage()
        #expect(!breaker.isOpen)
        #expect(S.controls(breaker.effects(&lineage, rowDelta: 0)).isEmpty && lineage.status == .active)
        breaker.failed(permanent: true, message: "bad row")
        let effects = breaker.effects(&lineage, rowDelta: 0)
        #expect(breaker.isOpen && lineage.pauseReason == .materializationFailure && lineage.devicePaused)
        #expect(S.events(effects) == [.materializationFailed, .lineagePaused])
        #expect(S.controls(effects).count == 1)
    }

    @Test func transientFailuresAndSuccessesDoNotCount() {
        var breaker = CircuitBreaker(consecutive: 4)
        breaker.failed(permanent: false, message: "busy")
        #expect(breaker.consecutive == 4 && breaker.failures == 1 && breaker.lastError == "busy")
        breaker.succeeded()
        #expect(breaker.consecutive == 0 && !breaker.isOpen)
    }

    @Test func countersAreRecordedWithTheRowDelta() {
        var breaker = CircuitBreaker(consecutive: 2)
        breaker.succeeded()
        var lineage = S.lineage()
        let effects = breaker.effects(&lineage, rowDelta: 9)
        #expect(
            effects == [
                .recordMaterialization(
                    MaterializationRecord(
                        lineageID: "lin-1",
                        rowDelta: 9,
                        consecutiveFailures: 0,
                        failures: 0,
                        lastError: nil
                    )
                )
            ]
        )
    }

    @Test func aResetResumesOnlyWhatTheBreakerPaused() {
        var tripped = S.lineage(status: .paused, pauseReason: .materializationFailure, devicePaused: true, staged: 3)
        let effects = CircuitBreaker.reset(&tripped)
        #expect(effects.first == .resetBreaker(lineageID: "lin-1"))
        #expect(tripped.status == .active && effects.contains(.openReplay(lineageID: "lin-1")))
        #expect(S.controls(effects).count == 1)
        var reviewing = S.lineage(status: .paused, pauseReason: .schemaReview)
        #expect(CircuitBreaker.reset(&reviewing) == [.resetBreaker(lineageID: "lin-1")])
    }
}

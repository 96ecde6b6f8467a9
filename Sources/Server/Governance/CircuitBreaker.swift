import EdgeSyncModels

/// Materialization failures (docs/spec/governance.md, "Backpressure and circuit breaker"): a
/// transient failure stages the row for a retry; permanent ones count, and after `threshold`
/// consecutive ones the lineage pauses (`materialization_failure`) and the device is told to
/// pause, until an operator resets the breaker.
public struct CircuitBreaker: Sendable, Hashable {
    /// Consecutive permanent failures that open the breaker.
    public static let threshold = 5

    /// Consecutive permanent failures so far.
    public private(set) var consecutive: Int
    public private(set) var failures = 0
    public private(set) var lastError: String?

    public init(consecutive: Int) {
        self.consecutive = consecutive
    }

    /// Whether the breaker is open: the rows after this one are left staged.
    public var isOpen: Bool { consecutive >= Self.threshold }

    public mutating func succeeded() {
        consecutive = 0
    }

    public mutating func failed(permanent: Bool, message: String) {
        failures += 1
        lastError = message
        if permanent { consecutive += 1 }
    }

    /// What a run of rows leaves: the counters, a failure event, and the pause when the breaker
    /// opened.
    public func effects(_ lineage: inout LineageState, rowDelta: Int) -> [GovernanceEffect] {
        var effects: [GovernanceEffect] = [
            .recordMaterialization(
                MaterializationRecord(
                    lineageID: lineage.id,
                    rowDelta: rowDelta,
                    consecutiveFailures: consecutive,
                    failures: failures,
                    lastError: lastError
                )
            )
        ]
        lineage.consecutiveFailures = consecutive
        guard let lastError else { return effects }
        effects.append(
            .record(
                GovernanceEvent(
                    lineage,
                    .materializationFailed,
                    outcome: isOpen ? "breaker_open" : "staged",
                    message: lastError
                )
            )
        )
        if isOpen {
            effects += LineageLifecycle.pauseDevice(
                &lineage,
                reason: .materializationFailure,
                message: "\(Self.threshold) consecutive materialization failures; last: \(lastError)"
            )
        }
        return effects
    }

    /// An operator's reset: the counters are cleared; a lineage the breaker paused resumes.
    public static func reset(_ lineage: inout LineageState) -> [GovernanceEffect] {
        lineage.consecutiveFailures = 0
        var effects: [GovernanceEffect] = [.resetBreaker(lineageID: lineage.id)]
        if lineage.pauseReason == .materializationFailure {
            effects += LineageLifecycle.resume(&lineage, message: "materialization reset")
        }
        return effects
    }
}

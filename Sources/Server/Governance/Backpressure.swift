import EdgeSyncModels

/// Per-lineage caps on the staged backlog (docs/spec/governance.md, "Backpressure"): over either cap
/// the device is told to pause; the periodic sweep resumes it once both are below
/// `resume_threshold_percent` of the caps.
public enum Backpressure {
    /// After rows were staged: over a cap (and not already paused on the device), pause it.
    public static func afterStaging(_ lineage: inout LineageState, policy: Policy) -> [GovernanceEffect] {
        guard !lineage.devicePaused,
            lineage.stagedRows > policy.maxPendingRowsPerLineage
                || lineage.stagedBytes > policy.maxPendingBytesPerLineage
        else { return [] }
        return LineageLifecycle.pauseDevice(
            &lineage,
            reason: .backpressure,
            message:
                "\(lineage.stagedRows) staged rows / \(lineage.stagedBytes) bytes exceed the caps (\(policy.maxPendingRowsPerLineage) / \(policy.maxPendingBytesPerLineage))"
        )
    }

    /// The sweep: a lineage the server paused on the device resumes once its backlog is below the
    /// threshold of both caps. A breaker pause waits for the operator's reset instead.
    public static func sweep(_ lineage: inout LineageState, policy: Policy) -> [GovernanceEffect] {
        guard lineage.devicePaused, lineage.pauseReason != .materializationFailure else { return [] }
        let percent = Int64(policy.resumeThresholdPercent)
        guard lineage.stagedRows * 100 < policy.maxPendingRowsPerLineage * percent,
            lineage.stagedBytes * 100 < policy.maxPendingBytesPerLineage * percent
        else { return [] }
        return LineageLifecycle.resume(&lineage, message: "backlog below \(percent)% of the caps")
    }
}

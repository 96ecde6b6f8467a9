import EdgeSyncModels

/// How a lineage pauses and resumes (docs/spec/governance.md, "Lineage", "Backpressure and circuit
/// breaker"). A pause for a review is the server's alone: the device keeps publishing and its
/// rows are staged. A pause for backpressure or the breaker also tells the device
/// (`pause_lineage`); lifting it sends `resume_lineage` from the server's watermark.
public enum LineageLifecycle {
    /// Paused while a schema waits for a decision (or was rejected); nothing goes to the device.
    public static func pauseForReview(_ lineage: inout LineageState, reason: PauseReason) -> [GovernanceEffect] {
        lineage.status = .paused
        lineage.pauseReason = reason
        return [
            .setStatus(lineageID: lineage.id, status: .paused, pauseReason: reason),
            .record(
                GovernanceEvent(
                    lineage,
                    .lineagePaused,
                    outcome: reason.rawValue,
                    message: "waiting for a schema review"
                )
            ),
        ]
    }

    /// Paused for backpressure or the breaker, and the device told to stop. A lineage already
    /// paused (for its review) keeps that reason: it is what the operator must act on.
    public static func pauseDevice(
        _ lineage: inout LineageState,
        reason: PauseReason,
        message: String
    ) -> [GovernanceEffect] {
        if lineage.status != .paused { lineage.pauseReason = reason }
        lineage.status = .paused
        lineage.devicePaused = true
        return [
            .setStatus(lineageID: lineage.id, status: .paused, pauseReason: lineage.pauseReason),
            .setDevicePaused(lineageID: lineage.id, true),
            .record(GovernanceEvent(lineage, .lineagePaused, outcome: reason.rawValue, message: message)),
            .sendControl(
                lineageID: lineage.id,
                deviceID: lineage.deviceID,
                .pauseLineage(
                    sourceTable: lineage.sourceTable,
                    serverWatermark: lineage.watermark,
                    reason: reason.rawValue
                )
            ),
        ]
    }

    /// Active again: the staged rows get a replay, and a device that was told to pause is told to
    /// resume.
    public static func activate(_ lineage: inout LineageState, message: String) -> [GovernanceEffect] {
        let wasPaused = lineage.status == .paused
        lineage.status = .active
        lineage.pauseReason = nil
        var effects: [GovernanceEffect] = [.setStatus(lineageID: lineage.id, status: .active, pauseReason: nil)]
        if lineage.stagedRows > 0, !lineage.replayOpen {
            lineage.replayOpen = true
            effects.append(.openReplay(lineageID: lineage.id))
        }
        if wasPaused {
            effects.append(.record(GovernanceEvent(lineage, .lineageResumed, outcome: "active", message: message)))
        }
        return effects + liftDevicePause(&lineage)
    }

    /// Lifts a server-side pause: a lineage paused for backpressure or the breaker becomes active;
    /// one paused for a review (or rejected) only lets the device publish again.
    public static func resume(_ lineage: inout LineageState, message: String) -> [GovernanceEffect] {
        switch lineage.pauseReason {
        case .schemaReview?, .rejected?: liftDevicePause(&lineage)
        default: activate(&lineage, message: message)
        }
    }

    /// Tells a device that was paused by a control to publish again, from the server's watermark.
    public static func liftDevicePause(_ lineage: inout LineageState) -> [GovernanceEffect] {
        guard lineage.devicePaused else { return [] }
        lineage.devicePaused = false
        return [
            .setDevicePaused(lineageID: lineage.id, false),
            .sendControl(
                lineageID: lineage.id,
                deviceID: lineage.deviceID,
                .resumeLineage(sourceTable: lineage.sourceTable, serverWatermark: lineage.watermark)
            ),
        ]
    }

    /// A replay for an active lineage with staged rows, unless one is open.
    public static func ensureReplay(_ lineage: inout LineageState) -> [GovernanceEffect] {
        guard lineage.status == .active, lineage.stagedRows > 0, !lineage.replayOpen else { return [] }
        lineage.replayOpen = true
        return [.openReplay(lineageID: lineage.id)]
    }
}

import EdgeSyncModels

/// The replay of staged rows after an approval (docs/spec/governance.md, "Column actions"): open
/// intents of active lineages are drained one at a time, telemetry first, oldest first; rows in
/// commit order (samples in time order); the intent completes when nothing is staged.
public enum Replay {
    /// An open replay intent, as the store lists it.
    public struct Intent: Sendable, Hashable {
        public var id: String
        public var lineageID: String
        public var strategy: LineageStrategy
        /// Creation time in nanoseconds.
        public var createdAt: Int64

        public init(id: String, lineageID: String, strategy: LineageStrategy, createdAt: Int64) {
            self.id = id
            self.lineageID = lineageID
            self.strategy = strategy
            self.createdAt = createdAt
        }
    }

    /// The intents of active lineages in the order to drain them; a replica takes the first that
    /// no other replica holds.
    public static func order(_ intents: [Intent]) -> [Intent] {
        intents.sorted { ($0.strategy == .rows ? 1 : 0, $0.createdAt) < ($1.strategy == .rows ? 1 : 0, $1.createdAt) }
    }

    /// What a step leaves: the intent's progress and, when nothing is staged any more, its
    /// completion and event.
    public static func stepped(
        _ lineage: LineageState,
        intentID: String,
        replayed: Int,
        totalReplayed: Int64,
        lastError: String?
    ) -> (completed: Bool, effects: [GovernanceEffect]) {
        let completed = lineage.stagedRows == 0
        var effects: [GovernanceEffect] = [
            .progressReplay(intentID: intentID, replayed: replayed, completed: completed, lastError: lastError)
        ]
        if completed {
            effects.append(
                .record(
                    GovernanceEvent(
                        lineage,
                        .replayCompleted,
                        outcome: "completed",
                        message: "\(lineage.sourceTable): \(totalReplayed + Int64(replayed)) staged rows replayed"
                    )
                )
            )
        }
        return (completed, effects)
    }
}

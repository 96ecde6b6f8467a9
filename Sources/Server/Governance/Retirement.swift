import EdgeSyncModels

/// A re-snapshot converges the mirror, deletes included (docs/spec/wire-protocol.md, "Re-snapshot"):
/// once every row of a new epoch through its `snapshot_through_commit_seq` has landed, mirror rows
/// of older epochs are rows the device no longer has. Epochs are UUIDv7 text: their order is time.
public enum Retirement {
    /// The state of one lineage's re-snapshots.
    public struct State: Sendable, Hashable {
        /// A snapshot end waiting for its rows: (epoch, through).
        public var pending: (epoch: String, through: Int64)?
        /// Rows of epochs below this were retired.
        public var retiredBefore: String?

        public init(pending: (epoch: String, through: Int64)? = nil, retiredBefore: String? = nil) {
            self.pending = pending
            self.retiredBefore = retiredBefore
        }

        public static func == (lhs: State, rhs: State) -> Bool {
            lhs.pending?.epoch == rhs.pending?.epoch && lhs.pending?.through == rhs.pending?.through
                && lhs.retiredBefore == rhs.retiredBefore
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(pending?.epoch)
            hasher.combine(pending?.through)
            hasher.combine(retiredBefore)
        }
    }

    /// Rows of `epoch` are history a later snapshot replaced: they change nothing.
    public static func isRetired(_ epoch: String, _ state: State) -> Bool {
        state.retiredBefore.map { epoch < $0 } ?? false
    }

    /// A batch that reaches the end of its epoch's snapshot: recorded unless an end of a newer
    /// epoch already is, or the epoch was retired.
    public static func snapshotEnd(
        lineageID: String,
        epoch: String,
        through: Int64,
        _ state: inout State
    ) -> [GovernanceEffect] {
        if let pending = state.pending, pending.epoch > epoch { return [] }
        if let retired = state.retiredBefore, retired >= epoch { return [] }
        state.pending = (epoch, through)
        return [.noteSnapshotEnd(lineageID: lineageID, epoch: epoch, through: through)]
    }

    /// Due once no row of the lineage at or below the snapshot's end is still staged (then they
    /// have all been applied), and the lineage has a mirror to retire from.
    public static func due(
        lineageID: String,
        _ state: inout State,
        stagedAtOrBelowEnd: Bool,
        hasMirror: Bool
    ) -> [GovernanceEffect] {
        guard let pending = state.pending, hasMirror, !stagedAtOrBelowEnd else { return [] }
        state.pending = nil
        state.retiredBefore = pending.epoch
        return [.retire(lineageID: lineageID, epoch: pending.epoch)]
    }
}

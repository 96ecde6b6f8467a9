import EdgeSyncModels

/// The row semantics of a mirror (docs/spec/governance.md, "Row semantics") over a run of changes,
/// worked out in memory so that the run is written with a few multi-row statements. Each key's
/// changes are applied in input order to what the mirror row and the tombstones held, exactly as
/// one statement per change would: a change no newer than the row's `(journal_epoch,
/// commit_seq)` is skipped; a delete removes the row (and, while a backlog exists, leaves a
/// tombstone); an upsert no newer than its key's tombstone is skipped. What is left is each key's
/// final state.
struct MirrorRunPlan {
    /// `(journal_epoch, commit_seq)`: epochs are UUIDv7, so text order is time order.
    struct Version: Comparable, Hashable {
        var epoch: String
        var seq: Int64

        /// One comparison of the epochs, which are mostly equal (and often the same string).
        static func < (lhs: Version, rhs: Version) -> Bool {
            lhs.epoch == rhs.epoch ? lhs.seq < rhs.seq : lhs.epoch < rhs.epoch
        }
    }

    /// One change, its key and values already in their stored form.
    struct Change {
        var op: RowOperation
        /// The target's primary key values (`_device_id` first when coalesced).
        var key: [SQLValue]
        var pkHash: String
        var version: Version
        /// Data column index → value, for the columns the row carries (upserts only).
        var data: [Int: SQLValue]
    }

    /// A key's state after the run.
    struct Outcome {
        var key: [SQLValue]
        var initiallyPresent: Bool
        var present: Bool
        /// Whether the row must be written (its version changed).
        var changed = false
        var version: Version?
        /// True when the row is (re)created: every data column is written, missing ones NULL.
        /// False for an update of the row held: only `assigned` columns change.
        var replaceAll = false
        var assigned: [Int: SQLValue] = [:]
    }

    private(set) var outcomes: [Outcome] = []
    /// Tombstones to write: pk hash → version.
    private(set) var tombstones: [String: Version] = [:]

    /// The change in the mirror's row count.
    var delta: Int {
        outcomes.reduce(0) { $0 + ($1.present ? 1 : 0) - ($1.initiallyPresent ? 1 : 0) }
    }

    /// Keys in order of first appearance, each with its changes' positions.
    static func keys(of changes: [Change]) -> (keys: [[SQLValue]], changes: [[Int]]) {
        var position: [[SQLValue]: Int] = [:]
        var keys: [[SQLValue]] = []
        var grouped: [[Int]] = []
        for offset in changes.indices {
            let key = changes[offset].key
            if let index = position[key] {
                grouped[index].append(offset)
            } else {
                position[key] = keys.count
                keys.append(key)
                grouped.append([offset])
            }
        }
        return (keys, grouped)
    }

    /// `held[i]` is the version of key `i`'s mirror row (nil: no row); `heldTombstones` the
    /// tombstones of the changes' pk hashes.
    init(
        changes: [Change],
        keys: [[SQLValue]],
        grouped: [[Int]],
        held: [Version?],
        heldTombstones: [String: Version],
        keepTombstones: Bool
    ) {
        var knownTombstones = heldTombstones
        for (index, positions) in grouped.enumerated() {
            var outcome = Outcome(key: keys[index], initiallyPresent: held[index] != nil, present: held[index] != nil)
            var rowVersion = held[index]
            // Changes are read in place: a copy of one retains and releases its key, hash, epoch
            // and values, which was much of the plan's time on a replay's writer.
            for position in positions {
                let version = changes[position].version
                if let rowVersion, version <= rowVersion { continue }
                switch changes[position].op {
                case .delete:
                    let pkHash = changes[position].pkHash
                    if keepTombstones, knownTombstones[pkHash].map({ version > $0 }) ?? true {
                        knownTombstones[pkHash] = version
                        tombstones[pkHash] = version
                    }
                    guard outcome.present else { continue }
                    outcome.present = false
                    outcome.changed = false
                    outcome.assigned = [:]
                    rowVersion = nil
                case .insert, .update:
                    if keepTombstones, let tombstone = knownTombstones[changes[position].pkHash], version <= tombstone {
                        continue
                    }
                    if !outcome.present {
                        outcome.present = true
                        outcome.replaceAll = true
                        outcome.assigned = [:]
                    }
                    if outcome.assigned.isEmpty {
                        outcome.assigned = changes[position].data
                    } else {
                        outcome.assigned.merge(changes[position].data) { $1 }
                    }
                    outcome.changed = true
                    outcome.version = version
                    rowVersion = version
                }
            }
            outcomes.append(outcome)
        }
    }
}

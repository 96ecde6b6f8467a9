import EdgeSyncModels

/// A table under capture, as the catalog in the application's database records it.
///
/// Each captured table has its own journal, `__edgesync_j<id>`: `seq INTEGER PRIMARY KEY`, the
/// operation, and the row's key (`k1…kn`). The triggers write only that, which keeps the
/// application's writes cheap and lets its migrations drop or rename any non-key column; the
/// values are read from the table when a batch is built, in the same snapshot as the table's
/// shape, so no row ever travels under a schema that lacks one of its columns.
public struct CapturedTable: Sendable, Hashable {
    public var id: Int64
    public var name: String
    public var isTelemetry: Bool
    public var key: JournalKey
    /// Renewed (with a snapshot) whenever the journal is rebuilt.
    public var epoch: String
    /// While a snapshot runs: the last key it journaled (a JSON array; `[]` before the first
    /// chunk). Nil when no snapshot runs.
    public var snapshotAfter: String?
    /// The highest key when the snapshot started: rows added after that are journaled by the
    /// triggers, so the snapshot stops there and a new sample is never journaled twice.
    public var snapshotUntil: String?
    /// The journal seq through which this epoch's snapshot completed: once the server has applied
    /// the rows up to it, mirror rows of older epochs that the snapshot did not carry are gone
    /// from the device and are retired.
    public var snapshotThrough: Int64?
    /// For a table keyed by its rowid alias: the highest key the sweep has journaled. The
    /// triggers journal only changes of rows at or below it; the agent sweeps the rows above it
    /// into the journal (`InsertSweep`), so an application's insert of a new highest row pays no
    /// journal write. Nil for other tables, whose triggers journal every change.
    public var sweepMark: Int64?

    public var journal: String { "__edgesync_j\(id)" }

    /// The insert trigger's name says which kind it is, so that an agent that does not sweep
    /// finds its own trigger missing and renews the capture rather than leave inserts unjournaled.
    var triggerNames: [String] {
        let insert = sweepMark == nil ? "insert" : "insert_below_mark"
        return (isTelemetry ? [insert] : [insert, "update", "delete"]).map { "__edgesync_t\(id)_\($0)" }
    }

    /// The journal's key columns.
    var keyColumns: [String] { (0..<key.count).map { "k\($0 + 1)" } }
}

/// The operation of a journal entry.
enum JournalOp: Int64 {
    /// The highest entry is kept after it was sent, so that `seq` never goes back (an emptied
    /// `INTEGER PRIMARY KEY` table would reuse 1); a placeholder holds that place in a new journal
    /// that continues an older one.
    case placeholder = 0
    case insert = 1
    case update = 2
    case delete = 3

    var wireName: String {
        switch self {
        case .insert: "insert"
        case .update: "update"
        case .delete, .placeholder: "delete"
        }
    }
}

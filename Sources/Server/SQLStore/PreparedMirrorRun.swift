/// A run of row changes converted to the values one target stores, ahead of the transaction that
/// writes them (`MirrorWriter.prepare`; the replay does it on its read-ahead, off the writer).
struct PreparedMirrorRun: Sendable {
    /// The changes as the writer takes them.
    enum Changes: Sendable {
        /// Every change converted, with the run's keys and their changes' positions
        /// (`MirrorRunPlan.keys`): what a whole run needs, as it is.
        case converted([MirrorRunPlan.Change], keys: (keys: [[SQLValue]], changes: [[Int]]))
        /// Some change did not convert: each change in its stored form, or why it has none.
        case mixed([Result<MirrorRunPlan.Change, MaterializationError>])
    }

    /// The target the changes were converted for: valid only while the lineage's target is this.
    let target: MaterializationTarget
    var changes: Changes
}

/// A run of row changes converted to the values one target stores, ahead of the transaction that
/// writes them (`MirrorWriter.prepare`; the replay does it on its read-ahead, off the writer).
struct PreparedMirrorRun: Sendable {
    /// A change in its stored form, or why it has none.
    typealias Change = Result<MirrorRunPlan.Change, MaterializationError>

    /// The target the changes were converted for: valid only while the lineage's target is this.
    let target: MaterializationTarget
    var changes: [Change]
    /// The whole run's keys and their changes' positions (`MirrorRunPlan.keys`), when every
    /// change converted.
    var keys: (keys: [[SQLValue]], changes: [[Int]])?
}

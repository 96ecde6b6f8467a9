import EdgeSyncModels

/// Whether a batch may enter its lineage at all, before its rows are looked at: a lineage keeps
/// the strategy of its first batch (deleting it is the way to change it).
public enum BatchAdmission {
    public static func strategyMismatch(
        _ lineage: LineageState,
        incoming: LineageStrategy,
        batchID: String
    ) -> PayloadRejection? {
        guard lineage.strategy != incoming else { return nil }
        return PayloadRejection(
            code: .invalidCaptureStrategy,
            message:
                "\(lineage.sourceTable) is a \(lineage.strategy.rawValue) lineage; delete it to change its strategy",
            batchID: batchID,
            sourceTable: lineage.sourceTable
        )
    }

    /// A new lineage for the first batch of a table: active, with its creation event.
    public static func created(_ lineage: LineageState, deviceName: String) -> [GovernanceEffect] {
        [
            .record(
                GovernanceEvent(
                    lineage,
                    .lineageCreated,
                    outcome: lineage.strategy.rawValue,
                    message: "\(deviceName)/\(lineage.sourceTable): first batch"
                )
            )
        ]
    }
}

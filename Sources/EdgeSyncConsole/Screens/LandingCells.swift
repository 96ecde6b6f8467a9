import EdgeSyncModels

/// An approval preview's landing rows as text cells, for the column editor and the CLI alike.
extension ApprovalPreview {
    /// The rows carry changes (a rows lineage): an `op` cell leads each row.
    var landsChanges: Bool { landing.contains { $0.op != nil } }

    /// Per landing row: the change, then each of `columns`' values; `missing` where it has none.
    func landingCells(missing: String) -> [[String]] {
        landing.map { row in
            (landsChanges ? [row.op?.rawValue ?? missing] : [])
                + columns.map { row.values[$0].map { RowsScreen.text($0) } ?? missing }
        }
    }
}

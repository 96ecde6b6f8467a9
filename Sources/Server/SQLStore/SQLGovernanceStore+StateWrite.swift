import EdgeSyncModels

extension SQLGovernanceStore {
    /// Cloud state write-back: the rows `WriteBack` accepts are upserted into the mirror and one
    /// `state_write` control carries them to the device, in one transaction.
    public func writeState(
        deviceID: String,
        lineageID: String,
        projectID: String,
        request: StateWriteRequest,
        now: Timestamp
    ) async throws -> (StateWriteResponse, [OutboundControl]) {
        try await backend.write { tx in
            guard let lineage = try Self.lineageState(tx, id: lineageID), lineage.deviceID == deviceID,
                lineage.projectID == projectID
            else { throw StoreError.notFound("no lineage \(lineageID) of device \(deviceID)") }
            let (mirror, rows) = try WriteBack.rows(
                lineage,
                target: try Self.target(tx, lineageID: lineageID),
                request: request
            )
            let writer = MirrorWriter(
                target: mirror,
                lineageID: lineageID,
                deviceID: deviceID,
                keepTombstones: false,
                dialect: self.dialect
            )
            var written: [StateWriteRow] = []
            var added = 0
            for row in rows {
                let result = try writer.writeBack(tx, row, now: now)
                if result.added { added += 1 }
                written.append(
                    StateWriteRow(pk: row.request.pk, values: row.request.values, cloudVersion: result.version)
                )
            }
            try tx.execute(
                "UPDATE lineage SET mirrored_row_count = mirrored_row_count + ?, updated_at = ? WHERE id = ?",
                [.integer(Int64(added)), .integer(now.ns), .text(lineageID)]
            )
            let controls = try self.apply([WriteBack.control(lineage, written: written)], tx, now: now)
            return (
                StateWriteResponse(
                    controlID: controls.first?.id ?? "",
                    rowsWritten: written.count,
                    sourceTable: lineage.sourceTable
                ),
                controls
            )
        }
    }
}

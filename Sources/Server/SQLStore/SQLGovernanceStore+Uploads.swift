import EdgeSyncModels

extension SQLGovernanceStore {
    /// Records a grant and queues its `url_grant` control, in one transaction.
    public func grantUpload(
        _ grant: UploadGrant,
        device: DeviceIdentity,
        now: Timestamp
    ) async throws -> OutboundControl {
        try await backend.write { tx in
            try tx.execute(
                """
                INSERT INTO upload (id, project_id, device_id, source_table, segment_kind, expires_at, state, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, 'granted', ?, ?)
                """,
                [
                    .text(grant.batchID.description), .text(device.projectID), .text(device.id),
                    .text(grant.sourceTable),
                    .text(grant.segmentKind.rawValue), .integer(grant.expiresAt.seconds), .integer(now.ns),
                    .integer(now.ns),
                ]
            )
            let lineage = try Self.lineageState(tx, deviceID: device.id, table: grant.sourceTable)
            return try self.insertControl(
                tx,
                device: device,
                lineageID: lineage?.id,
                control: DownlinkControl(controlID: self.ids.next().description, payload: .urlGrant(grant)),
                now: now
            )
        }
    }

    public func upload(id: String) async throws -> UploadRecord? {
        try await backend.read { tx in
            try tx.first("SELECT * FROM upload WHERE id = ?", [.text(id)]).map {
                UploadRecord(
                    id: $0.string("id"),
                    deviceID: $0.string("device_id"),
                    sourceTable: $0.string("source_table"),
                    segmentKind: SegmentKind(rawValue: $0.string("segment_kind")) ?? .payloadSpill,
                    expiresAt: $0.int64("expires_at"),
                    state: UploadRecord.State(rawValue: $0.string("state")) ?? .granted
                )
            }
        }
    }

    public func setUploadState(id: String, _ state: UploadRecord.State, bytes: Int?, now: Timestamp) async throws {
        try await backend.write { tx in
            try tx.execute(
                "UPDATE upload SET state = ?, bytes = COALESCE(?, bytes), updated_at = ? WHERE id = ?",
                [.text(state.rawValue), SQLValue(bytes), .integer(now.ns), .text(id)]
            )
        }
    }
}

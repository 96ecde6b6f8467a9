import EdgeSyncModels

extension SQLGovernanceStore {
    /// Records a grant and queues its `url_grant` control, in one transaction.
    public func grantUpload(
        _ grant: UploadGrant,
        device: DeviceIdentity,
        maximumOpen: Int,
        now: Timestamp
    ) async throws -> OutboundControl? {
        try await backend.write { tx in
            let open =
                try tx.value(
                    "SELECT COUNT(*) FROM upload WHERE device_id = ? AND state != 'finalized' AND expires_at >= ?",
                    [.text(device.id), .integer(now.seconds)]
                )?.integer ?? 0
            guard open < maximumOpen else { return nil }
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

    public func beginReceiving(uploadID: String, now: Timestamp) async throws -> Bool {
        try await backend.write { tx in
            try tx.execute(
                "UPDATE upload SET state = 'receiving', updated_at = ? WHERE id = ? AND state = 'granted'",
                [.integer(now.ns), .text(uploadID)]
            ) == 1
        }
    }

    public func openUploadBytes(deviceID: String) async throws -> Int {
        try await backend.read { tx in
            Int(
                try tx.value(
                    "SELECT COALESCE(SUM(bytes), 0) FROM upload WHERE device_id = ? AND state = 'received'",
                    [.text(deviceID)]
                )?.integer ?? 0
            )
        }
    }

    public func expireUploads(now: Timestamp, keepReceivedFor: Int64) async throws -> [String] {
        try await backend.write { tx in
            let condition = """
                (state IN ('granted', 'receiving') AND expires_at < ?) OR (state = 'received' AND expires_at < ?)
                """
            let binds: [SQLValue] = [.integer(now.seconds), .integer(now.seconds - keepReceivedFor)]
            return try tx.strings("DELETE FROM upload WHERE \(condition) RETURNING id", binds)
        }
    }

    public func appendUploadChunk(uploadID: String, seq: Int, bytes: [UInt8]) async throws {
        try await backend.write { tx in
            try tx.execute(
                "INSERT INTO upload_chunk (upload_id, seq, data) VALUES (?, ?, ?)",
                [.text(uploadID), .integer(Int64(seq)), .blob(bytes)]
            )
        }
    }

    public func uploadChunk(uploadID: String, seq: Int) async throws -> [UInt8]? {
        try await backend.read { tx in
            try tx.value(
                "SELECT data FROM upload_chunk WHERE upload_id = ? AND seq = ?",
                [.text(uploadID), .integer(Int64(seq))]
            )?.blob
        }
    }

    public func removeUploadChunks(uploadID: String) async throws {
        try await backend.write { tx in
            try tx.execute("DELETE FROM upload_chunk WHERE upload_id = ?", [.text(uploadID)])
        }
    }

    @discardableResult
    public func setUploadState(
        id: String,
        _ state: UploadRecord.State,
        bytes: Int?,
        now: Timestamp
    ) async throws -> Bool {
        try await backend.write { tx in
            try tx.execute(
                "UPDATE upload SET state = ?, bytes = COALESCE(?, bytes), updated_at = ? WHERE id = ?",
                [.text(state.rawValue), SQLValue(bytes), .integer(now.ns), .text(id)]
            ) == 1
        }
    }
}

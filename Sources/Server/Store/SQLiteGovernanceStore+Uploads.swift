import EdgeSyncModels
import GRDB

/// An upload granted to a device.
public struct UploadRecord: Sendable, Hashable {
    public enum State: String, Sendable {
        case granted
        case received
        case finalized
    }

    public var id: String
    public var deviceID: String
    public var sourceTable: String
    public var segmentKind: SegmentKind
    public var expiresAt: Int64
    public var state: State
}

extension SQLiteGovernanceStore {
    /// Records a grant and queues its `url_grant` control, in one transaction.
    public func grantUpload(
        _ grant: UploadGrant,
        device: DeviceIdentity,
        now: Timestamp
    ) async throws -> OutboundControl {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO upload (id, project_id, device_id, source_table, segment_kind, expires_at, state, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, 'granted', ?, ?)
                    """,
                arguments: [
                    grant.batchID.description, device.projectID, device.id, grant.sourceTable,
                    grant.segmentKind.rawValue,
                    grant.expiresAt.seconds, now.ns, now.ns,
                ]
            )
            let lineage = try self.lineageRow(db, deviceID: device.id, table: grant.sourceTable)
            return try self.insertControl(
                db,
                device: device,
                lineageID: lineage?.id,
                control: DownlinkControl(controlID: self.ids.next().description, payload: .urlGrant(grant)),
                now: now
            )
        }
    }

    public func upload(id: String) async throws -> UploadRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM upload WHERE id = ?", arguments: [id]).map {
                UploadRecord(
                    id: $0["id"],
                    deviceID: $0["device_id"],
                    sourceTable: $0["source_table"],
                    segmentKind: SegmentKind(rawValue: $0["segment_kind"]) ?? .payloadSpill,
                    expiresAt: $0["expires_at"],
                    state: UploadRecord.State(rawValue: $0["state"]) ?? .granted
                )
            }
        }
    }

    public func setUploadState(id: String, _ state: UploadRecord.State, bytes: Int? = nil, now: Timestamp) async throws
    {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE upload SET state = ?, bytes = COALESCE(?, bytes), updated_at = ? WHERE id = ?",
                arguments: [state.rawValue, bytes, now.ns, id]
            )
        }
    }
}

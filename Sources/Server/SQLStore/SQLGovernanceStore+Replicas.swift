import EdgeSyncModels

/// Device sessions, replica heartbeats and shared secrets (`ReplicaStore`). Times that replicas
/// compare come from the database's clock, so that no two servers' clocks need agree.
extension SQLGovernanceStore {
    /// Channels other replicas listen on: a device's control is due, a device's session moved.
    static let controlChannel = "edgesync_control"
    static let sessionChannel = "edgesync_session"

    public func openSession(device: DeviceIdentity, replicaID: String, outcome: String) async throws -> String {
        let epoch = ids.next().description
        try await backend.groupWrite { tx in
            try tx.execute(
                """
                INSERT INTO device_session (device_id, replica_id, epoch, connected_at)
                VALUES (?, ?, ?, \(self.dialect.currentTimeNanoseconds))
                ON CONFLICT (device_id) DO UPDATE SET replica_id = excluded.replica_id, epoch = excluded.epoch,
                connected_at = excluded.connected_at
                """,
                [.text(device.id), .text(replicaID), .text(epoch)]
            )
            try Self.notify(tx, Self.sessionChannel, device.id)
            let now = Timestamp.now
            try tx.execute("UPDATE device SET last_seen_at = ? WHERE id = ?", [.integer(now.ns), .text(device.id)])
            try Self.insertEvent(tx, Self.deviceEvent(device, .deviceConnected, outcome, "connected"), at: now)
        }
        return epoch
    }

    public func closeSession(device: DeviceIdentity, epoch: String?) async throws {
        try await backend.groupWrite { tx in
            if let epoch {
                try tx.execute(
                    "DELETE FROM device_session WHERE device_id = ? AND epoch = ?",
                    [.text(device.id), .text(epoch)]
                )
            }
            try Self.insertEvent(
                tx,
                Self.deviceEvent(device, .deviceDisconnected, "closed", "disconnected"),
                at: .now
            )
        }
    }

    /// An event of a device's, of no lineage.
    static func deviceEvent(
        _ device: DeviceIdentity,
        _ kind: EventKind,
        _ outcome: String,
        _ message: String
    ) -> GovernanceEvent {
        GovernanceEvent(
            projectID: device.projectID,
            deviceID: device.id,
            lineageID: nil,
            kind: kind,
            outcome: outcome,
            message: message
        )
    }

    /// Ends the device's session, wherever it is: the replica holding it closes the connection
    /// (credentials revoked, device deleted).
    static func endSession(_ tx: any SQLTransaction, deviceID: String) throws {
        try tx.execute(
            "UPDATE device_session SET replica_id = '', connected_at = \(tx.dialect.currentTimeNanoseconds) WHERE device_id = ?",
            [.text(deviceID)]
        )
        try notify(tx, sessionChannel, deviceID)
    }

    public func sessionsTakenOver(from replicaID: String, window: Duration) async throws -> [String] {
        try await backend.read { tx in
            try tx.strings(
                """
                SELECT device_id FROM device_session
                WHERE connected_at >= \(self.dialect.currentTimeNanoseconds) - ? AND replica_id <> ?
                """,
                [.integer(window.nanoseconds), .text(replicaID)]
            )
        }
    }

    public func heartbeat(replicaID: String, starting: Bool) async throws {
        try await backend.write { tx in
            let now = self.dialect.currentTimeNanoseconds
            try tx.execute(
                """
                INSERT INTO replica (id, started_at, heartbeat_at) VALUES (?, \(now), \(now))
                ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at
                """,
                [.text(replicaID)]
            )
            // A replica restarted under its name holds none of the connections it had.
            if starting { try tx.execute("DELETE FROM device_session WHERE replica_id = ?", [.text(replicaID)]) }
        }
    }

    public func dueControls(replicaID: String, limit: Int) async throws -> [OutboundControl] {
        try await backend.read { tx in
            try Self.outboundControls(
                tx,
                where: """
                    c.acked_at IS NULL AND c.last_sent_at IS NULL
                    AND EXISTS (SELECT 1 FROM device_session s WHERE s.device_id = c.device_id AND s.replica_id = ?)
                    ORDER BY c.created_at LIMIT ?
                    """,
                [.text(replicaID), .integer(Int64(limit))]
            )
        }
    }

    public func markControlsDue(sentBefore: Timestamp) async throws -> Int {
        try await backend.write { tx in
            let devices = try tx.strings(
                """
                UPDATE pending_control SET last_sent_at = NULL WHERE acked_at IS NULL AND last_sent_at < ?
                RETURNING device_id
                """,
                [.integer(sentBefore.ns)]
            )
            for device in Set(devices) { try Self.notify(tx, Self.controlChannel, device) }
            return devices.count
        }
    }

    public func forgetSilentReplicas(silentFor: Duration) async throws -> [String] {
        try await backend.write { tx in
            let silent = try tx.strings(
                "DELETE FROM replica WHERE heartbeat_at < \(self.dialect.currentTimeNanoseconds) - ? RETURNING id",
                [.integer(silentFor.nanoseconds)]
            )
            for replica in silent {
                try tx.execute("DELETE FROM device_session WHERE replica_id = ?", [.text(replica)])
            }
            // Ended sessions have been seen by their replica within the takeover window.
            try tx.execute(
                "DELETE FROM device_session WHERE replica_id = '' AND connected_at < \(self.dialect.currentTimeNanoseconds) - ?",
                [.integer(ReplicaTiming.takeoverWindow.nanoseconds)]
            )
            return silent
        }
    }

    /// Whether a device's session is on a live replica: the replica's heartbeat is recent.
    static func connectedCondition(device column: String, dialect: any SQLDialect) -> String {
        """
        EXISTS (SELECT 1 FROM device_session s JOIN replica r ON r.id = s.replica_id WHERE s.device_id = \(column)
        AND r.heartbeat_at >= \(dialect.currentTimeNanoseconds) - \(ReplicaTiming.silence.nanoseconds))
        """
    }

    /// Wakes the replicas listening on `channel` once the transaction commits.
    static func notify(_ tx: any SQLTransaction, _ channel: String, _ payload: String) throws {
        guard let statement = tx.dialect.notifyStatement else { return }
        try tx.execute(statement, [.text(channel), .text(payload)])
    }

    public func secret(_ name: String, orCreate make: @escaping @Sendable () throws -> String) async throws -> String {
        try await backend.write { tx in
            if let value = try tx.value("SELECT value FROM server_secret WHERE name = ?", [.text(name)])?.text {
                return value
            }
            let value = try make()
            // Two servers creating it at once: one insert wins, the other reads its value.
            try tx.execute(
                "INSERT INTO server_secret (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
                [.text(name), .text(value), .integer(Timestamp.now.ns)]
            )
            return try tx.value("SELECT value FROM server_secret WHERE name = ?", [.text(name)])?.text ?? value
        }
    }

    public func replaceSecret(_ name: String, old: String, new: String) async throws -> String {
        try await backend.write { tx in
            try tx.execute(
                "UPDATE server_secret SET value = ? WHERE name = ? AND value = ?",
                [.text(new), .text(name), .text(old)]
            )
            return try tx.value("SELECT value FROM server_secret WHERE name = ?", [.text(name)])?.text ?? new
        }
    }
}

/// How often replicas check on each other, and when one counts as gone.
public enum ReplicaTiming {
    /// Heartbeats, the takeover check and the due-control poll.
    public static let interval = Duration.seconds(1)
    /// A replica silent this long is gone: its sessions no longer count as connections.
    public static let silence = Duration.seconds(15)
    /// How far back the takeover check looks.
    public static let takeoverWindow = Duration.seconds(60)
}

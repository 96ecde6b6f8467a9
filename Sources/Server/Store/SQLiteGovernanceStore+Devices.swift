import EdgeSyncModels
import GRDB

extension SQLiteGovernanceStore {
    public func device(named name: String, projectID: String) async throws -> DeviceIdentity? {
        try await pool.read { db in
            try self.deviceIdentity(db, where: "d.project_id = ? AND d.name = ?", [projectID, name])
        }
    }

    func deviceIdentity(_ db: Database, id: String) throws -> DeviceIdentity? {
        try deviceIdentity(db, where: "d.id = ?", [id])
    }

    private func deviceIdentity(
        _ db: Database,
        where condition: String,
        _ arguments: StatementArguments
    ) throws -> DeviceIdentity? {
        try Row.fetchOne(
            db,
            sql: """
                SELECT d.id, d.name, d.project_id, d.fleet_id, p.topic_slug FROM device d JOIN project p ON p.id = d.project_id WHERE \(condition)
                """,
            arguments: arguments
        ).map {
            DeviceIdentity(
                id: $0["id"],
                name: $0["name"],
                projectID: $0["project_id"],
                fleetID: $0["fleet_id"],
                topicSlug: $0["topic_slug"]
            )
        }
    }

    public func device(id: String) async throws -> Device? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM device WHERE id = ?", arguments: [id]).map(Self.device)
        }
    }

    public func devices(projectID: String, page: PageRequest) async throws -> (items: [Device], total: Int) {
        try await pool.read { db in
            try self.fetchPage(
                db,
                from: "device",
                where: ["project_id = ?"],
                arguments: [projectID],
                order: "name",
                page: page,
                map: Self.device
            )
        }
    }

    public func registerDevice(name: String, projectID: String, fleetID: String, now: Timestamp) async throws -> Device
    {
        try await pool.write { db in
            guard
                try Bool.fetchOne(
                    db,
                    sql: "SELECT 1 FROM fleet WHERE id = ? AND project_id = ?",
                    arguments: [fleetID, projectID]
                ) == true
            else { throw StoreError.unknownFleet(fleetID) }
            if try Bool.fetchOne(
                db,
                sql: "SELECT 1 FROM device WHERE project_id = ? AND name = ?",
                arguments: [projectID, name]
            ) == true {
                throw StoreError.duplicateDeviceName(name)
            }
            let id = Self.tenantID()
            try db.execute(
                sql: "INSERT INTO device (id, project_id, fleet_id, name, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [id, projectID, fleetID, name, now.ns]
            )
            return Device(id: id, projectID: projectID, fleetID: fleetID, name: name, createdAt: now)
        }
    }

    public func setDevicePassword(deviceID: String, hash: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE device SET password_hash = ? WHERE id = ?", arguments: [hash, deviceID])
        }
    }

    public func setDeviceCertificate(deviceID: String, serial: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE device SET certificate_serial = ? WHERE id = ?", arguments: [serial, deviceID])
        }
    }

    public func passwordHash(deviceID: String) async throws -> String? {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT password_hash FROM device WHERE id = ?", arguments: [deviceID])
        }
    }

    public func markDeviceSeen(deviceID: String, at time: Timestamp) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE device SET last_seen_at = ? WHERE id = ?", arguments: [time.ns, deviceID])
        }
    }

    static func device(_ row: Row) -> Device {
        var kinds: [CredentialKind] = []
        if (row["password_hash"] as String?) != nil { kinds.append(.password) }
        if (row["certificate_serial"] as String?) != nil { kinds.append(.certificate) }
        return Device(
            id: row["id"],
            projectID: row["project_id"],
            fleetID: row["fleet_id"],
            name: row["name"],
            lastSeenAt: Timestamp(ns: row["last_seen_at"] as Int64?),
            credentialKinds: kinds,
            createdAt: Timestamp(ns: row["created_at"])
        )
    }
}

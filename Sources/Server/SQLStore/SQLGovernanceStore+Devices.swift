import EdgeSyncModels

/// Devices and their credentials.
extension SQLGovernanceStore {
    public func device(named name: String, projectID: String) async throws -> DeviceIdentity? {
        try await backend.read { tx in
            try Self.deviceIdentity(tx, where: "d.project_id = ? AND d.name = ?", [.text(projectID), .text(name)])
        }
    }

    static func deviceIdentity(_ tx: any SQLTransaction, id: String) throws -> DeviceIdentity? {
        try deviceIdentity(tx, where: "d.id = ?", [.text(id)])
    }

    private static func deviceIdentity(
        _ tx: any SQLTransaction,
        where condition: String,
        _ binds: [SQLValue]
    ) throws -> DeviceIdentity? {
        try tx.first(
            """
            SELECT d.id, d.name, d.project_id, d.fleet_id, p.topic_slug FROM device d JOIN project p ON p.id = d.project_id
            WHERE \(condition)
            """,
            binds
        ).map {
            DeviceIdentity(
                id: $0.string("id"),
                name: $0.string("name"),
                projectID: $0.string("project_id"),
                fleetID: $0.string("fleet_id"),
                topicSlug: $0.string("topic_slug")
            )
        }
    }

    public func device(id: String) async throws -> Device? {
        try await backend.read { tx in
            try tx.first("SELECT \(self.deviceColumns) FROM device WHERE id = ?", [.text(id)]).map(Self.device)
        }
    }

    public func devices(
        projectID: String,
        query: String?,
        page: PageRequest
    ) async throws -> (items: [Device], total: Int) {
        try await backend.read { tx in
            var conditions = ["project_id = ?"]
            var binds: [SQLValue] = [.text(projectID)]
            self.matchText(query, in: ["name", "id"], &conditions, &binds)
            return try Self.fetchPage(
                tx,
                select: self.deviceColumns,
                from: "device",
                where: conditions,
                binds: binds,
                order: "name",
                page: page,
                map: Self.device
            )
        }
    }

    public func registerDevice(name: String, projectID: String, fleetID: String, now: Timestamp) async throws -> Device
    {
        let id = Self.tenantID()
        try await backend.write { tx in
            guard
                try tx.exists(
                    "SELECT 1 FROM fleet WHERE id = ? AND project_id = ?",
                    [.text(fleetID), .text(projectID)]
                )
            else { throw StoreError.unknownFleet(fleetID) }
            if try tx.exists("SELECT 1 FROM device WHERE project_id = ? AND name = ?", [.text(projectID), .text(name)])
            {
                throw StoreError.duplicateDeviceName(name)
            }
            try tx.execute(
                "INSERT INTO device (id, project_id, fleet_id, name, created_at) VALUES (?, ?, ?, ?, ?)",
                [.text(id), .text(projectID), .text(fleetID), .text(name), .integer(now.ns)]
            )
        }
        return Device(id: id, projectID: projectID, fleetID: fleetID, name: name, createdAt: now)
    }

    public func setDevicePassword(deviceID: String, hash: String) async throws {
        try await backend.write { tx in
            try tx.execute("UPDATE device SET password_hash = ? WHERE id = ?", [.text(hash), .text(deviceID)])
        }
    }

    public func setDeviceCertificate(deviceID: String, serial: String) async throws {
        try await backend.write { tx in
            try tx.execute("UPDATE device SET certificate_serial = ? WHERE id = ?", [.text(serial), .text(deviceID)])
        }
    }

    public func certificateSerial(deviceID: String) async throws -> String? {
        try await backend.read { tx in
            try tx.value("SELECT certificate_serial FROM device WHERE id = ?", [.text(deviceID)])?.text
        }
    }

    public func revokeDeviceCredentials(
        deviceID: String,
        projectID: String,
        kinds: Set<CredentialKind>,
        by principal: String,
        now: Timestamp
    ) async throws -> Device? {
        try await backend.write { tx in
            let sorted = kinds.sorted { $0.rawValue < $1.rawValue }
            let clauses = sorted.map { kind in
                switch kind {
                case .password: "password_hash = NULL"
                case .certificate: "certificate_serial = NULL"
                }
            }
            guard !clauses.isEmpty,
                try tx.execute(
                    "UPDATE device SET \(clauses.joined(separator: ", ")) WHERE id = ? AND project_id = ?",
                    [.text(deviceID), .text(projectID)]
                ) == 1
            else { return nil }
            try Self.endSession(tx, deviceID: deviceID)
            let names = sorted.map(\.rawValue).joined(separator: " and ")
            try Self.insertEvent(
                tx,
                GovernanceEvent(
                    projectID: projectID,
                    deviceID: deviceID,
                    lineageID: nil,
                    kind: .deviceCredentialsRevoked,
                    outcome: names,
                    message: "\(names) revoked by \(principal)"
                ),
                at: now
            )
            return try tx.first("SELECT \(self.deviceColumns) FROM device WHERE id = ?", [.text(deviceID)]).map(
                Self.device
            )
        }
    }

    public func passwordHash(deviceID: String) async throws -> String? {
        try await backend.read { tx in
            try tx.value("SELECT password_hash FROM device WHERE id = ?", [.text(deviceID)])?.text
        }
    }

    /// A device row and whether it is connected now (to any replica).
    var deviceColumns: String {
        "device.*, \(Self.connectedCondition(device: "device.id", dialect: dialect)) AS connected"
    }

    static func device(_ row: SQLRow) -> Device {
        var kinds: [CredentialKind] = []
        if row.optionalString("password_hash") != nil { kinds.append(.password) }
        if row.optionalString("certificate_serial") != nil { kinds.append(.certificate) }
        return Device(
            id: row.string("id"),
            projectID: row.string("project_id"),
            fleetID: row.string("fleet_id"),
            name: row.string("name"),
            connected: row.bool("connected"),
            lastSeenAt: Timestamp(ns: row.optionalInt64("last_seen_at")),
            credentialKinds: kinds,
            createdAt: Timestamp(ns: row.int64("created_at"))
        )
    }
}

import EdgeSyncModels
import Foundation

/// Policy, fleets, data points, the registry and coalesced mirrors.
extension SQLGovernanceStore {
    public func policy(projectID: String, fleetID: String?) async throws -> Policy {
        try await backend.read { tx in try Self.policy(tx, projectID: projectID, fleetID: fleetID) }
    }

    public func setPolicy(_ policy: Policy, projectID: String, fleetID: String?, now: Timestamp) async throws {
        let body = String(decoding: try JSONEncoder().encode(policy), as: UTF8.self)
        try await backend.write { tx in
            try tx.execute(
                """
                INSERT INTO policy (project_id, fleet_id, body, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (project_id, fleet_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at
                """,
                [.text(projectID), .text(fleetID ?? ""), .text(body), .integer(now.ns)]
            )
        }
    }

    public func fleetExists(id: String, projectID: String) async throws -> Bool {
        try await backend.read { tx in
            try tx.exists("SELECT 1 FROM fleet WHERE id = ? AND project_id = ?", [.text(id), .text(projectID)])
        }
    }

    public func fleets(projectID: String, page: PageRequest) async throws -> (items: [Fleet], total: Int) {
        try await backend.read { tx in
            try Self.fetchPage(
                tx,
                select: """
                    fleet.*, (SELECT COUNT(*) FROM device WHERE device.fleet_id = fleet.id) AS device_count,
                    CASE WHEN EXISTS (SELECT 1 FROM policy WHERE policy.project_id = fleet.project_id AND policy.fleet_id = fleet.id)
                    THEN 1 ELSE 0 END AS has_own_policy
                    """,
                from: "fleet",
                where: ["project_id = ?"],
                binds: [.text(projectID)],
                order: "name, id",
                page: page
            ) {
                Fleet(
                    id: $0.string("id"),
                    projectID: $0.string("project_id"),
                    name: $0.string("name"),
                    deviceCount: $0.int("device_count"),
                    hasOwnPolicy: $0.bool("has_own_policy"),
                    createdAt: Timestamp(ns: $0.int64("created_at"))
                )
            }
        }
    }

    public func dataPoints(
        projectID: String,
        deviceID: String?,
        page: PageRequest
    ) async throws -> (items: [DataPoint], total: Int) {
        try await backend.read { tx in
            var conditions = ["p.project_id = ?"]
            var binds: [SQLValue] = [.text(projectID)]
            Self.match([("p.device_id", deviceID)], &conditions, &binds)
            return try Self.fetchPage(
                tx,
                select: "p.*, d.name AS device_name",
                from: "data_point p JOIN device d ON d.id = p.device_id",
                where: conditions,
                binds: binds,
                order: "d.name, p.name",
                page: page
            ) {
                DataPoint(
                    id: $0.string("id"),
                    deviceID: $0.string("device_id"),
                    deviceName: $0.optionalString("device_name"),
                    name: $0.string("name"),
                    unit: $0.optionalString("unit"),
                    createdAt: Timestamp(ns: $0.int64("created_at"))
                )
            }
        }
    }

    public func createDataPoint(
        projectID: String,
        deviceID: String,
        name: String,
        unit: String?,
        now: Timestamp
    ) async throws -> DataPoint {
        try await backend.write { tx in
            guard
                let deviceName = try tx.value(
                    "SELECT name FROM device WHERE id = ? AND project_id = ?",
                    [.text(deviceID), .text(projectID)]
                )?.text
            else { throw StoreError.unknownDevice(deviceID) }
            if try tx.exists(
                "SELECT 1 FROM data_point WHERE device_id = ? AND name = ?",
                [.text(deviceID), .text(name)]
            ) {
                throw StoreError.duplicateDataPoint(name)
            }
            let id = self.ids.next().description
            try tx.execute(
                "INSERT INTO data_point (id, project_id, device_id, name, unit, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [.text(id), .text(projectID), .text(deviceID), .text(name), SQLValue(unit), .integer(now.ns)]
            )
            return DataPoint(id: id, deviceID: deviceID, deviceName: deviceName, name: name, unit: unit, createdAt: now)
        }
    }

    public func registryEntries(
        projectID: String,
        query: String?,
        page: PageRequest
    ) async throws -> (items: [RegistryEntry], total: Int) {
        try await backend.read { tx in
            var conditions = ["project_id = ?"]
            var binds: [SQLValue] = [.text(projectID)]
            self.matchText(query, in: ["source_table"], &conditions, &binds)
            return try Self.fetchPage(
                tx,
                from: "registry_entry",
                where: conditions,
                binds: binds,
                order: "source_table, created_at",
                page: page,
                map: Self.registryEntry
            )
        }
    }

    public func registryEntry(id: String, projectID: String) async throws -> RegistryEntry? {
        try await backend.read { tx in
            try tx.first("SELECT * FROM registry_entry WHERE id = ? AND project_id = ?", [.text(id), .text(projectID)])
                .map(Self.registryEntry)
        }
    }

    public func coalescedMirrors(
        projectID: String,
        page: PageRequest
    ) async throws -> (items: [CoalescedMirror], total: Int) {
        try await backend.read { tx in
            try Self.fetchPage(
                tx,
                from: "coalesced_mirror",
                where: ["project_id = ?"],
                binds: [.text(projectID)],
                order: "source_table",
                page: page,
                map: Self.coalescedMirror
            )
        }
    }

    /// By id, or by source table (the project-scoped one first).
    public func coalescedMirror(id: String, projectID: String) async throws -> CoalescedMirror? {
        try await backend.read { tx in
            try tx.first(
                """
                SELECT * FROM coalesced_mirror WHERE project_id = ? AND (id = ? OR source_table = ?)
                ORDER BY CASE WHEN id = ? THEN 0 ELSE 1 END, CASE WHEN scope = 'fleet' THEN 1 ELSE 0 END, created_at LIMIT 1
                """,
                [.text(projectID), .text(id), .text(id), .text(id)]
            ).map(Self.coalescedMirror)
        }
    }

    static func registryEntry(_ row: SQLRow) -> RegistryEntry {
        let table = row.string("source_table")
        let fleet = row.string("fleet_id")
        return RegistryEntry(
            id: row.string("id"),
            projectID: row.string("project_id"),
            scope: ReviewScope(rawValue: row.string("scope")) ?? .project,
            fleetID: fleet.isEmpty ? nil : fleet,
            sourceTable: table,
            schemaHash: row.string("schema_hash"),
            columns: row.optionalString("columns_json").flatMap { SchemaColumns.parse($0, table: table) },
            decision: SchemaVersion.Decision(rawValue: row.string("decision")) ?? .pending,
            reviewID: row.optionalString("review_id"),
            createdAt: Timestamp(ns: row.int64("created_at")),
            updatedAt: Timestamp(ns: row.int64("updated_at"))
        )
    }

    static func coalescedMirror(_ row: SQLRow) -> CoalescedMirror {
        let fleet = row.string("fleet_id")
        return CoalescedMirror(
            id: row.string("id"),
            projectID: row.string("project_id"),
            scope: ReviewScope(rawValue: row.string("scope")) ?? .project,
            fleetID: fleet.isEmpty ? nil : fleet,
            sourceTable: row.string("source_table"),
            mirrorTable: row.string("mirror_table"),
            createdAt: Timestamp(ns: row.int64("created_at"))
        )
    }
}

import EdgeSyncModels
import Foundation
import GRDB

/// Policy, data points, registry, coalesced mirrors and tokens.
extension SQLiteGovernanceStore {
    public func policy(projectID: String, fleetID: String?) async throws -> Policy {
        try await pool.read { db in try self.policy(db, projectID: projectID, fleetID: fleetID) }
    }

    /// A fleet without its own policy follows its project's; a project without one, the defaults.
    func policy(_ db: Database, projectID: String, fleetID: String?) throws -> Policy {
        for scope in [fleetID, ""].compactMap({ $0 }) {
            if let body = try String.fetchOne(
                db,
                sql: "SELECT body FROM policy WHERE project_id = ? AND fleet_id = ?",
                arguments: [projectID, scope]
            ),
                let policy = try? JSONDecoder().decode(Policy.self, from: Data(body.utf8))
            {
                return policy
            }
        }
        return Policy.defaults
    }

    public func setPolicy(_ policy: Policy, projectID: String, fleetID: String?, now: Timestamp) async throws {
        let body = String(decoding: try JSONEncoder().encode(policy), as: UTF8.self)
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO policy (project_id, fleet_id, body, updated_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at
                    """,
                arguments: [projectID, fleetID ?? "", body, now.ns]
            )
        }
    }

    public func fleetExists(id: String, projectID: String) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(
                db,
                sql: "SELECT 1 FROM fleet WHERE id = ? AND project_id = ?",
                arguments: [id, projectID]
            ) == true
        }
    }

    public func fleets(projectID: String, page: PageRequest) async throws -> (items: [Fleet], total: Int) {
        try await pool.read { db in
            try self.fetchPage(
                db,
                select: """
                    fleet.*, (SELECT COUNT(*) FROM device WHERE device.fleet_id = fleet.id) AS device_count,
                    EXISTS (SELECT 1 FROM policy WHERE policy.project_id = fleet.project_id AND policy.fleet_id = fleet.id) AS has_own_policy
                    """,
                from: "fleet",
                where: ["project_id = ?"],
                arguments: [projectID],
                order: "name, id",
                page: page
            ) {
                Fleet(
                    id: $0["id"],
                    projectID: $0["project_id"],
                    name: $0["name"],
                    deviceCount: $0["device_count"],
                    hasOwnPolicy: $0["has_own_policy"],
                    createdAt: Timestamp(ns: $0["created_at"])
                )
            }
        }
    }

    public func dataPoints(
        projectID: String,
        deviceID: String?,
        page: PageRequest
    ) async throws -> (items: [DataPoint], total: Int) {
        try await pool.read { db in
            var conditions = ["project_id = ?"]
            var arguments: StatementArguments = [projectID]
            if let deviceID {
                conditions.append("device_id = ?")
                arguments += [deviceID]
            }
            return try self.fetchPage(
                db,
                from: "data_point",
                where: conditions,
                arguments: arguments,
                order: "device_id, name",
                page: page
            ) {
                DataPoint(
                    id: $0["id"],
                    deviceID: $0["device_id"],
                    name: $0["name"],
                    unit: $0["unit"],
                    createdAt: Timestamp(ns: $0["created_at"])
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
        try await pool.write { db in
            guard
                try Bool.fetchOne(
                    db,
                    sql: "SELECT 1 FROM device WHERE id = ? AND project_id = ?",
                    arguments: [deviceID, projectID]
                ) == true
            else { throw StoreError.unknownDevice(deviceID) }
            if try Bool.fetchOne(
                db,
                sql: "SELECT 1 FROM data_point WHERE device_id = ? AND name = ?",
                arguments: [deviceID, name]
            ) == true {
                throw StoreError.duplicateDataPoint(name)
            }
            let id = self.ids.next().description
            try db.execute(
                sql:
                    "INSERT INTO data_point (id, project_id, device_id, name, unit, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [id, projectID, deviceID, name, unit, now.ns]
            )
            return DataPoint(id: id, deviceID: deviceID, name: name, unit: unit, createdAt: now)
        }
    }

    public func registryEntries(
        projectID: String,
        page: PageRequest
    ) async throws -> (items: [RegistryEntry], total: Int) {
        try await pool.read { db in
            try self.fetchPage(
                db,
                from: "registry_entry",
                where: ["project_id = ?"],
                arguments: [projectID],
                order: "source_table, created_at",
                page: page,
                map: Self.registryEntry
            )
        }
    }

    public func registryEntry(id: String, projectID: String) async throws -> RegistryEntry? {
        try await pool.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT * FROM registry_entry WHERE id = ? AND project_id = ?",
                arguments: [id, projectID]
            ).map(Self.registryEntry)
        }
    }

    public func coalescedMirrors(
        projectID: String,
        page: PageRequest
    ) async throws -> (items: [CoalescedMirror], total: Int) {
        try await pool.read { db in
            try self.fetchPage(
                db,
                from: "coalesced_mirror",
                where: ["project_id = ?"],
                arguments: [projectID],
                order: "source_table",
                page: page,
                map: Self.coalescedMirror
            )
        }
    }

    /// By id, or by source table (the project-scoped one first).
    public func coalescedMirror(id: String, projectID: String) async throws -> CoalescedMirror? {
        try await pool.read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT * FROM coalesced_mirror WHERE project_id = ? AND (id = ? OR source_table = ?) ORDER BY id != ?, scope = 'fleet', created_at LIMIT 1
                    """,
                arguments: [projectID, id, id, id]
            ).map(Self.coalescedMirror)
        }
    }

    public func tokens(page: PageRequest) async throws -> (items: [APIToken], total: Int) {
        try await pool.read { db in
            try self.fetchPage(db, from: "api_token", where: [], arguments: [], order: "created_at", page: page) {
                row in
                APIToken(
                    id: row["id"],
                    name: row["name"],
                    scopes: (row["scopes"] as String).split(separator: " ").map(String.init),
                    createdAt: Timestamp(ns: row["created_at"]),
                    revokedAt: Timestamp(ns: row["revoked_at"] as Int64?)
                )
            }
        }
    }

    public func revokeToken(id: String, now: Timestamp) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE api_token SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                arguments: [now.ns, id]
            )
            return db.changesCount == 1
        }
    }

    static func registryEntry(_ row: Row) -> RegistryEntry {
        let table: String = row["source_table"]
        let fleet: String = row["fleet_id"]
        return RegistryEntry(
            id: row["id"],
            projectID: row["project_id"],
            scope: ReviewScope(rawValue: row["scope"]) ?? .project,
            fleetID: fleet.isEmpty ? nil : fleet,
            sourceTable: table,
            schemaHash: row["schema_hash"],
            columns: (row["columns_json"] as String?).flatMap { columns(fromJSON: $0, table: table) },
            decision: SchemaVersion.Decision(rawValue: row["decision"]) ?? .pending,
            reviewID: row["review_id"],
            createdAt: Timestamp(ns: row["created_at"]),
            updatedAt: Timestamp(ns: row["updated_at"])
        )
    }

    static func coalescedMirror(_ row: Row) -> CoalescedMirror {
        let fleet: String = row["fleet_id"]
        return CoalescedMirror(
            id: row["id"],
            projectID: row["project_id"],
            scope: ReviewScope(rawValue: row["scope"]) ?? .project,
            fleetID: fleet.isEmpty ? nil : fleet,
            sourceTable: row["source_table"],
            mirrorTable: row["mirror_table"],
            createdAt: Timestamp(ns: row["created_at"])
        )
    }
}

import EdgeSyncModels
import Foundation
import GRDB

/// `GovernanceStore` on one SQLite file in WAL mode: one writer, a pool of readers.
public final class SQLiteGovernanceStore: GovernanceStore {
    let pool: DatabasePool
    let ids = UUIDv7Generator.shared

    /// Opens (creating if needed) the store at `path` and runs pending migrations.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // A PUBACK promises the batch is durable: FULL syncs the WAL at every commit, so a
            // committed batch survives a power cut, not only a process crash.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try StoreMigrations.migrator().migrate(pool)
    }

    public func bootstrap(now: Timestamp) async throws -> Tenancy {
        try await pool.write { db in
            if let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT p.id, p.org_id, p.name, p.topic_slug, p.created_at, f.id AS fleet_id
                    FROM project p JOIN fleet f ON f.project_id = p.id ORDER BY p.created_at, f.created_at LIMIT 1
                    """
            ) {
                return Tenancy(orgID: row["org_id"], project: Self.project(row), fleetID: row["fleet_id"])
            }
            let orgID = Self.tenantID()
            let projectID = Self.tenantID()
            let fleetID = Self.tenantID()
            try db.execute(
                sql: "INSERT INTO org (id, name, created_at) VALUES (?, 'default', ?)",
                arguments: [orgID, now.ns]
            )
            try db.execute(
                sql:
                    "INSERT INTO project (id, org_id, name, topic_slug, created_at) VALUES (?, ?, 'default', 'dev', ?)",
                arguments: [projectID, orgID, now.ns]
            )
            try db.execute(
                sql: "INSERT INTO fleet (id, project_id, name, created_at) VALUES (?, ?, 'default', ?)",
                arguments: [fleetID, projectID, now.ns]
            )
            let project = Project(id: projectID, orgID: orgID, name: "default", topicSlug: "dev", createdAt: now)
            return Tenancy(orgID: orgID, project: project, fleetID: fleetID)
        }
    }

    /// Orgs, projects, fleets and devices get random (v4) UUIDs: target names embed their first
    /// 8 hex chars, which in a time-ordered UUIDv7 would be shared by everything created in the
    /// same minute.
    static func tenantID() -> String {
        UUID().uuidString.lowercased()
    }

    public func projects() async throws -> [Project] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM project ORDER BY created_at").map(Self.project)
        }
    }

    @discardableResult
    public func createToken(
        name: String,
        tokenHash: String,
        scopes: [TokenScope],
        now: Timestamp
    ) async throws -> APIToken {
        try await pool.write { db in
            let id = self.ids.next().description
            try db.execute(
                sql: "INSERT INTO api_token (id, name, token_hash, scopes, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [id, name, tokenHash, scopes.map(\.rawValue).joined(separator: " "), now.ns]
            )
            return APIToken(id: id, name: name, scopes: scopes.map(\.rawValue), createdAt: now)
        }
    }

    public func principal(tokenHash: String) async throws -> Principal? {
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT id, name, scopes FROM api_token WHERE token_hash = ? AND revoked_at IS NULL",
                    arguments: [tokenHash]
                )
            else { return nil }
            let scopes = (row["scopes"] as String).split(separator: " ").compactMap { TokenScope(rawValue: String($0)) }
            return Principal(tokenID: row["id"], name: row["name"], scopes: Set(scopes))
        }
    }

    public func storedResponse(principalID: String, key: String, now: Timestamp) async throws -> StoredResponse? {
        try await pool.read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT * FROM idempotency_key WHERE principal_id = ? AND key = ? AND created_at > ?
                    """,
                arguments: [principalID, key, now.ns - StoredResponse.lifetimeNanoseconds]
            ).map {
                StoredResponse(
                    method: $0["method"],
                    path: $0["path"],
                    bodyHash: $0["body_hash"],
                    status: $0["status"],
                    body: Array(($0["response"] as Data))
                )
            }
        }
    }

    public func storeResponse(_ response: StoredResponse, principalID: String, key: String, now: Timestamp) async throws
    {
        try await pool.write { db in
            try db.execute(
                sql: "DELETE FROM idempotency_key WHERE created_at <= ?",
                arguments: [now.ns - StoredResponse.lifetimeNanoseconds]
            )
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO idempotency_key (principal_id, key, method, path, body_hash, status, response, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    principalID, key, response.method, response.path, response.bodyHash, response.status,
                    Data(response.body), now.ns,
                ]
            )
        }
    }

    static func project(_ row: Row) -> Project {
        Project(
            id: row["id"],
            orgID: row["org_id"],
            name: row["name"],
            topicSlug: row["topic_slug"],
            createdAt: Timestamp(ns: row["created_at"])
        )
    }
}

extension Timestamp {
    /// Nanoseconds since the epoch: how the store keeps times (exact and sortable).
    var ns: Int64 { seconds * 1_000_000_000 + Int64(nanoseconds) }

    init(ns: Int64) {
        let seconds = ns >= 0 ? ns / 1_000_000_000 : (ns - 999_999_999) / 1_000_000_000
        self.init(seconds: seconds, nanoseconds: Int32(ns - seconds * 1_000_000_000))
    }

    init?(ns: Int64?) {
        guard let ns else { return nil }
        self.init(ns: ns)
    }
}

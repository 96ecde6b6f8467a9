import EdgeSyncModels
import Foundation

/// The store's port implemented once in SQL, on any `SQLBackend` (SQLite by default, a server
/// database for several replicas). Its files hold SQL and the application of effects; the
/// decisions are the Governance layer's.
public final class SQLGovernanceStore: GovernanceStore {
    public let backend: any SQLBackend
    let ids = UUIDv7Generator.shared
    /// The replay's next chunk, read while a step writes.
    let replayAhead = ReplayReadAhead()

    public init(backend: any SQLBackend) {
        self.backend = backend
    }

    var dialect: any SQLDialect { backend.dialect }

    public func isReachable() async -> Bool { await backend.probe() }

    public func close() async {
        await replayAhead.discard()
        await backend.close()
    }

    public func bootstrap(now: Timestamp) async throws -> Tenancy {
        try await backend.write { tx in
            if let row = try tx.first(
                """
                SELECT p.id, p.org_id, p.name, p.topic_slug, p.created_at, f.id AS fleet_id
                FROM project p JOIN fleet f ON f.project_id = p.id ORDER BY p.created_at, f.created_at LIMIT 1
                """
            ) {
                return Tenancy(orgID: row.string("org_id"), project: Self.project(row), fleetID: row.string("fleet_id"))
            }
            let orgID = Self.tenantID()
            let projectID = Self.tenantID()
            let fleetID = Self.tenantID()
            try tx.execute(
                "INSERT INTO org (id, name, created_at) VALUES (?, 'default', ?)",
                [.text(orgID), .integer(now.ns)]
            )
            try tx.execute(
                "INSERT INTO project (id, org_id, name, topic_slug, created_at) VALUES (?, ?, 'default', 'dev', ?)",
                [.text(projectID), .text(orgID), .integer(now.ns)]
            )
            try tx.execute(
                "INSERT INTO fleet (id, project_id, name, created_at) VALUES (?, ?, 'default', ?)",
                [.text(fleetID), .text(projectID), .integer(now.ns)]
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
        try await backend.read { tx in try tx.query("SELECT * FROM project ORDER BY created_at").map(Self.project) }
    }

    static func project(_ row: SQLRow) -> Project {
        Project(
            id: row.string("id"),
            orgID: row.string("org_id"),
            name: row.string("name"),
            topicSlug: row.string("topic_slug"),
            createdAt: Timestamp(ns: row.int64("created_at"))
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

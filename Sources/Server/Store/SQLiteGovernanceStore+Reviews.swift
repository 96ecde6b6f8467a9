import EdgeSyncModels
import Foundation
import GRDB

/// A review mutation as the API asks for it (docs/spec/governance.md, "Schema reviews").
public enum ReviewTransition: Sendable, Hashable {
    case claim(actionVersion: Int)
    case approve(ApproveReviewRequest)
    case reject(ReviewTransitionRequest)
    case abandon(ReviewTransitionRequest)

    var name: String {
        switch self {
        case .claim: "claim"
        case .approve: "approve"
        case .reject: "reject"
        case .abandon: "abandon"
        }
    }

    var actionVersion: Int {
        switch self {
        case .claim(let version): version
        case .approve(let body): body.actionVersion
        case .reject(let body), .abandon(let body): body.actionVersion
        }
    }

    var force: Bool {
        switch self {
        case .claim: false
        case .approve(let body): body.force ?? false
        case .reject(let body), .abandon(let body): body.force ?? false
        }
    }
}

extension SQLiteGovernanceStore {
    /// Claims, approves, rejects or abandons a device review in one transaction. Returns the
    /// review as it is afterwards and the controls to deliver now.
    public func transitionReview(
        id: String,
        projectID: String,
        registry: Bool,
        principal: Principal,
        _ transition: ReviewTransition,
        now: Timestamp
    ) async throws -> (review: SchemaReview, controls: [OutboundControl]) {
        try await pool.write { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT * FROM schema_review WHERE id = ? AND project_id = ?",
                    arguments: [id, projectID]
                ),
                (row["scope"] as String == ReviewScope.device.rawValue) != registry
            else { throw APIError(.notFound, "no \(registry ? "registry" : "schema") review \(id)") }
            let lineageID = row["lineage_id"] as String?
            let version: Int = row["action_version"]
            guard transition.actionVersion == version else {
                throw APIError(
                    .actionVersionConflict,
                    "the review is at action_version \(version); reload it and try again",
                    details: ["current_action_version": .integer(Int64(version))]
                )
            }
            let status = ReviewStatus(rawValue: row["status"]) ?? .queued
            guard status.isOpen else {
                throw APIError(
                    .invalidTransition,
                    "the review is \(status.rawValue); it cannot be \(transition.name)ed"
                )
            }
            if transition.force, !principal.has(.admin) {
                throw APIError(.forbidden, "force needs the admin scope")
            }
            var controls: [OutboundControl] = []
            switch transition {
            case .claim:
                guard status == .queued else {
                    throw APIError(
                        .invalidTransition,
                        "the review is already claimed by \(row["claimed_by"] as String? ?? "someone")"
                    )
                }
                try db.execute(
                    sql: """
                        UPDATE schema_review SET status = 'in_review', claimed_by = ?, claimed_by_token = ?, claimed_at = ?,
                        action_version = action_version + 1, updated_at = ? WHERE id = ?
                        """,
                    arguments: [principal.name, principal.tokenID, now.ns, now.ns, id]
                )
            case .approve(let body):
                try requireClaimer(row, principal: principal, force: transition.force)
                controls =
                    try lineageID.map {
                        try approve(db, review: row, lineageID: $0, body: body, principal: principal, now: now)
                    }
                    ?? approveRegistry(db, review: row, body: body, principal: principal, now: now)
            case .reject(let body):
                try requireClaimer(row, principal: principal, force: transition.force)
                try decide(db, id: id, status: .rejected, principal: principal, reason: body.reason, now: now)
                if let lineageID {
                    try db.execute(
                        sql: "UPDATE schema_version SET decision = 'rejected' WHERE lineage_id = ? AND schema_hash = ?",
                        arguments: [lineageID, row["schema_hash"] as String]
                    )
                    try db.execute(
                        sql:
                            "UPDATE lineage SET status = 'paused', pause_reason = 'rejected', updated_at = ? WHERE id = ?",
                        arguments: [now.ns, lineageID]
                    )
                } else {
                    try rejectRegistry(db, review: row, now: now)
                }
            case .abandon(let body):
                if status == .inReview { try requireClaimer(row, principal: principal, force: transition.force) }
                try decide(db, id: id, status: .abandoned, principal: principal, reason: body.reason, now: now)
            }
            let kind: EventKind =
                switch transition {
                case .claim: .reviewClaimed
                case .approve: .reviewApproved
                case .reject: .reviewRejected
                case .abandon: .reviewAbandoned
                }
            try insertEvent(
                db,
                projectID: projectID,
                deviceID: row["device_id"],
                lineageID: lineageID,
                kind: kind,
                outcome: principal.name,
                message:
                    "\(row["source_table"] as String) schema \((row["schema_hash"] as String).prefix(12)): \(transition.name) by \(principal.name)",
                at: now
            )
            let updated = try Row.fetchOne(
                db,
                sql: """
                    SELECT r.*, d.name AS device_name, l.staged_row_count FROM schema_review r
                    LEFT JOIN device d ON d.id = r.device_id LEFT JOIN lineage l ON l.id = r.lineage_id WHERE r.id = ?
                    """,
                arguments: [id]
            )!
            return (Self.review(updated), controls)
        }
    }

    private func requireClaimer(_ review: Row, principal: Principal, force: Bool) throws {
        guard !force else { return }
        guard (review["status"] as String) == ReviewStatus.inReview.rawValue else {
            throw APIError(.invalidTransition, "claim the review first (or, as admin, pass force: true)")
        }
        guard (review["claimed_by_token"] as String?) == principal.tokenID else {
            throw APIError(
                .notClaimer,
                "only the claimer (\(review["claimed_by"] as String? ?? "?")) may decide; an admin may pass force: true"
            )
        }
    }

    private func decide(
        _ db: Database,
        id: String,
        status: ReviewStatus,
        principal: Principal,
        reason: String?,
        now: Timestamp
    ) throws {
        try db.execute(
            sql: """
                UPDATE schema_review SET status = ?, decided_by = ?, decided_at = ?, reason = ?, action_version = action_version + 1,
                updated_at = ? WHERE id = ?
                """,
            arguments: [status.rawValue, principal.name, now.ns, reason, now.ns, id]
        )
    }

    /// The columns of a lineage's schema version: as the device described them, or inferred from
    /// its first staged row when it never did.
    func schemaColumns(_ db: Database, lineageID: String, table: String, hash: String) throws -> [SchemaColumn]? {
        if let json = try String.fetchOne(
            db,
            sql: "SELECT columns_json FROM schema_version WHERE lineage_id = ? AND schema_hash = ?",
            arguments: [lineageID, hash]
        ),
            let columns = Self.columns(fromJSON: json, table: table)
        {
            return columns
        }
        guard
            let sample = try Row.fetchOne(
                db,
                sql:
                    "SELECT pk_json, row_json FROM staged_row WHERE lineage_id = ? AND schema_hash = ? ORDER BY id LIMIT 1",
                arguments: [lineageID, hash]
            )
        else { return nil }
        return SchemaInference.columns(
            pk: (sample["pk_json"] as String?).flatMap(Self.object),
            row: (sample["row_json"] as String?).flatMap(Self.object)
        )
    }

    /// The lineage's current bindings, in schema order.
    func bindings(_ db: Database, lineageID: String) throws -> [ColumnAction] {
        try Row.fetchAll(
            db,
            sql: "SELECT * FROM binding WHERE lineage_id = ? ORDER BY position",
            arguments: [lineageID]
        ).map {
            ColumnAction(
                sourceColumnName: $0["source_column"],
                action: ColumnActionKind(rawValue: $0["action"]) ?? .ignore,
                mirrorColumnName: $0["mirror_column"],
                deviceDataPointID: $0["data_point_id"]
            )
        }
    }

    /// The lineage's target as its bindings describe it; nil before the first approval.
    func target(_ db: Database, lineageID: String) throws -> MaterializationTarget? {
        guard
            let lineage = try Row.fetchOne(
                db,
                sql: "SELECT strategy, mirror_table FROM lineage WHERE id = ?",
                arguments: [lineageID]
            ),
            let table = lineage["mirror_table"] as String?
        else { return nil }
        let columns = try Row.fetchAll(
            db,
            sql: "SELECT * FROM binding WHERE lineage_id = ? AND target_column IS NOT NULL ORDER BY position",
            arguments: [lineageID]
        ).map {
            MaterializationTarget.Column(
                source: $0["source_column"],
                target: $0["target_column"],
                affinity: ColumnAffinity(rawValue: $0["affinity"]) ?? .text,
                pkOrdinal: $0["pk_ordinal"]
            )
        }
        let coalesced =
            try Bool.fetchOne(db, sql: "SELECT 1 FROM coalesced_mirror WHERE mirror_table = ?", arguments: [table])
            == true
        return MaterializationTarget(
            kind: lineage["strategy"] as String == "rows" ? .mirror : .series,
            table: table,
            columns: columns,
            coalesced: coalesced
        )
    }
}

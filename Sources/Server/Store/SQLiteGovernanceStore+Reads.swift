import EdgeSyncModels
import GRDB

extension SQLiteGovernanceStore {
    public func lineages(
        projectID: String,
        filter: LineageFilter,
        page: PageRequest
    ) async throws -> (items: [Lineage], total: Int) {
        try await pool.read { db in
            var conditions = ["project_id = ?"]
            var arguments: StatementArguments = [projectID]
            if let value = filter.deviceID {
                conditions.append("device_id = ?")
                arguments += [value]
            }
            if let value = filter.fleetID {
                conditions.append("fleet_id = ?")
                arguments += [value]
            }
            if let value = filter.status {
                conditions.append("status = ?")
                arguments += [value.rawValue]
            }
            if let value = filter.sourceTable {
                conditions.append("source_table = ?")
                arguments += [value]
            }
            if let value = filter.query, !value.isEmpty {
                // `!text` (docs/spec/tui.md) keeps the lineages that do not match.
                let inverted = value.hasPrefix("!") && value.count > 1
                let text = inverted ? String(value.dropFirst()) : value
                conditions.append(
                    (inverted ? "NOT " : "")
                        + "(instr(lower(device_name), lower(?)) > 0 OR instr(lower(source_table), lower(?)) > 0)"
                )
                arguments += [text, text]
            }
            let order =
                switch filter.sort {
                case .updatedAt: "updated_at DESC, id"
                case .staged: "staged_row_count DESC, id"
                case .device: "device_name, source_table"
                }
            return try self.fetchPage(
                db,
                from: "lineage",
                where: conditions,
                arguments: arguments,
                order: order,
                page: page,
                map: Self.lineage
            )
        }
    }

    public func lineageDetail(id: String, projectID: String) async throws -> LineageDetail? {
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT * FROM lineage WHERE id = ? AND project_id = ?",
                    arguments: [id, projectID]
                )
            else { return nil }
            let lineage = Self.lineage(row)
            let versions = try Row.fetchAll(
                db,
                sql: "SELECT * FROM schema_version WHERE lineage_id = ? ORDER BY first_seen_at",
                arguments: [id]
            ).map { version in
                SchemaVersion(
                    schemaHash: version["schema_hash"],
                    columns: (version["columns_json"] as String?).flatMap {
                        Self.columns(fromJSON: $0, table: lineage.sourceTable)
                    },
                    classification: SchemaClassification(rawValue: version["classification"]) ?? .unknown,
                    decision: SchemaVersion.Decision(rawValue: version["decision"]) ?? .pending,
                    firstSeenAt: Timestamp(ns: version["first_seen_at"]),
                    approvedAt: Timestamp(ns: version["approved_at"] as Int64?)
                )
            }
            let controls = try Row.fetchAll(
                db,
                sql: "SELECT * FROM pending_control WHERE lineage_id = ? AND acked_at IS NULL ORDER BY created_at",
                arguments: [id]
            ).map(Self.pendingControl)
            let openReview = try String.fetchOne(
                db,
                sql:
                    "SELECT id FROM schema_review WHERE lineage_id = ? AND status IN ('queued', 'in_review') ORDER BY created_at DESC LIMIT 1",
                arguments: [id]
            )
            let rejections = try Row.fetchAll(
                db,
                sql: """
                    SELECT l.*, d.name AS device_name FROM batch_ledger l JOIN device d ON d.id = l.device_id
                    WHERE l.lineage_id = ? AND l.outcome = 'rejected' ORDER BY l.id DESC LIMIT 10
                    """,
                arguments: [id]
            ).map(Self.ledgerEntry)
            let replay = try Row.fetchOne(
                db,
                sql: "SELECT * FROM replay_intent WHERE lineage_id = ? ORDER BY created_at DESC LIMIT 1",
                arguments: [id]
            ).map {
                ReplayIntent(
                    id: $0["id"],
                    lineageID: id,
                    state: ReplayIntent.State(rawValue: $0["state"]) ?? .pending,
                    totalRows: $0["total_rows"],
                    replayedRows: $0["replayed_rows"],
                    lastError: $0["last_error"],
                    createdAt: Timestamp(ns: $0["created_at"]),
                    updatedAt: Timestamp(ns: $0["updated_at"])
                )
            }
            return LineageDetail(
                lineage: lineage,
                schemaVersions: versions,
                bindings: try self.bindings(db, lineageID: id),
                replayIntent: replay,
                pendingControls: controls,
                openReviewID: openReview,
                recentRejections: rejections
            )
        }
    }

    public func stagedRows(lineageID: String, page: PageRequest) async throws -> (items: [StagedRow], total: Int) {
        try await pool.read { db in
            // The total is the lineage's counter: counting staged rows would scan them.
            let total =
                try Int.fetchOne(db, sql: "SELECT staged_row_count FROM lineage WHERE id = ?", arguments: [lineageID])
                ?? 0
            let items = try Row.fetchAll(
                db,
                sql:
                    "SELECT \(Self.stagedRowColumns) FROM staged_row WHERE lineage_id = ? ORDER BY id LIMIT ? OFFSET ?",
                arguments: [lineageID, page.limit, page.offset]
            ).map(Self.stagedRow)
            return (items, total)
        }
    }

    public func batches(
        projectID: String,
        filter: BatchFilter,
        page: PageRequest
    ) async throws -> (items: [BatchLedgerEntry], total: Int) {
        try await pool.read { db in
            var conditions = ["l.project_id = ?"]
            var arguments: StatementArguments = [projectID]
            if let value = filter.deviceID {
                conditions.append("l.device_id = ?")
                arguments += [value]
            }
            if let value = filter.lineageID {
                conditions.append("l.lineage_id = ?")
                arguments += [value]
            }
            if let value = filter.outcome {
                conditions.append("l.outcome = ?")
                arguments += [value.rawValue]
            }
            if let value = filter.code {
                conditions.append("l.rejection_code = ?")
                arguments += [value.rawValue]
            }
            return try self.fetchPage(
                db,
                select: "l.*, d.name AS device_name",
                from: "batch_ledger l JOIN device d ON d.id = l.device_id",
                where: conditions,
                arguments: arguments,
                order: "l.id",
                page: page,
                map: Self.ledgerEntry
            )
        }
    }

    public func reviews(
        projectID: String,
        filter: ReviewFilter,
        page: PageRequest
    ) async throws -> (items: [SchemaReview], total: Int) {
        try await pool.read { db in
            var conditions = ["r.project_id = ?", filter.registry ? "r.scope != 'device'" : "r.scope = 'device'"]
            var arguments: StatementArguments = [projectID]
            if let value = filter.status {
                conditions.append("r.status = ?")
                arguments += [value.rawValue]
            }
            if let value = filter.lineageID {
                conditions.append("r.lineage_id = ?")
                arguments += [value]
            }
            if let value = filter.deviceID {
                conditions.append("r.device_id = ?")
                arguments += [value]
            }
            return try self.fetchPage(
                db,
                select: "r.*, d.name AS device_name, l.staged_row_count",
                from:
                    "schema_review r LEFT JOIN device d ON d.id = r.device_id LEFT JOIN lineage l ON l.id = r.lineage_id",
                where: conditions,
                arguments: arguments,
                order: "r.created_at, r.id",
                page: page,
                map: Self.review
            )
        }
    }

    public func reviewDetail(id: String, projectID: String) async throws -> SchemaReviewDetail? {
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT r.*, d.name AS device_name, l.staged_row_count FROM schema_review r
                        LEFT JOIN device d ON d.id = r.device_id LEFT JOIN lineage l ON l.id = r.lineage_id
                        WHERE r.id = ? AND r.project_id = ?
                        """,
                    arguments: [id, projectID]
                )
            else { return nil }
            let review = Self.review(row)
            // A registry review's columns and bindings live in its scope's registry entries.
            func entry(_ hash: String) throws -> Row? {
                try self.registryEntryRow(
                    db,
                    projectID: projectID,
                    scope: review.scope,
                    fleetID: review.fleetID ?? "",
                    table: review.sourceTable,
                    hash: hash
                )
            }
            func columns(_ hash: String?) throws -> [SchemaColumn]? {
                guard let hash else { return nil }
                guard let lineageID = review.lineageID else {
                    return try (entry(hash)?["columns_json"] as String?).flatMap {
                        Self.columns(fromJSON: $0, table: review.sourceTable)
                    }
                }
                return try self.schemaColumns(db, lineageID: lineageID, table: review.sourceTable, hash: hash)
            }
            let previousHash = row["previous_schema_hash"] as String?
            let current = try columns(review.schemaHash)
            let previous = try columns(previousHash)
            let bindings =
                try review.lineageID.map { try self.bindings(db, lineageID: $0) }
                ?? previousHash.flatMap { try Self.registryBindings(entry($0)?["bindings_json"]).map(\.action) } ?? []
            let sample =
                try review.lineageID.map { lineageID in
                    try Row.fetchAll(
                        db,
                        sql:
                            "SELECT \(Self.stagedRowColumns) FROM staged_row WHERE lineage_id = ? AND schema_hash = ? ORDER BY id LIMIT 5",
                        arguments: [lineageID, review.schemaHash]
                    ).map(Self.stagedRow)
                } ?? []
            return SchemaReviewDetail(
                review: review,
                columns: current,
                previousSchemaHash: previousHash,
                diff: current.map { SchemaDiff.diff(current: $0, previous: previous, bindings: bindings) } ?? [],
                suggestedActions: current.map {
                    SchemaDiff.suggestedActions(
                        columns: $0,
                        strategy: review.strategy,
                        previous: previous,
                        bindings: bindings
                    )
                } ?? [],
                stagedSample: sample
            )
        }
    }

    public func events(
        projectID: String,
        filter: EventFilter,
        page: PageRequest
    ) async throws -> (items: [Event], total: Int) {
        try await pool.read { db in
            var conditions = ["project_id = ?"]
            var arguments: StatementArguments = [projectID]
            if let value = filter.kind {
                conditions.append("kind = ?")
                arguments += [value.rawValue]
            }
            if let value = filter.deviceID {
                conditions.append("device_id = ?")
                arguments += [value]
            }
            if let value = filter.lineageID {
                conditions.append("lineage_id = ?")
                arguments += [value]
            }
            if let value = filter.since {
                conditions.append("id > ?")
                arguments += [value]
            }
            let page = try self.fetchPage(
                db,
                from: "event",
                where: conditions,
                arguments: arguments,
                order: "id",
                page: page
            ) { row -> Event? in
                guard let kind = EventKind(rawValue: row["kind"]) else { return nil }
                return Event(
                    id: row["id"],
                    time: Timestamp(ns: row["time"]),
                    projectID: row["project_id"],
                    deviceID: row["device_id"],
                    lineageID: row["lineage_id"],
                    kind: kind,
                    outcome: row["outcome"],
                    message: row["message"]
                )
            }
            return (page.items.compactMap { $0 }, page.total)
        }
    }
}

import EdgeSyncModels

/// The API's lists and details.
extension SQLGovernanceStore {
    public func lineages(
        projectID: String,
        filter: LineageFilter,
        page: PageRequest
    ) async throws -> (items: [Lineage], total: Int) {
        try await backend.read { tx in
            var conditions = ["project_id = ?"]
            var binds: [SQLValue] = [.text(projectID)]
            Self.match(
                [
                    ("device_id", filter.deviceID), ("fleet_id", filter.fleetID), ("status", filter.status?.rawValue),
                    ("source_table", filter.sourceTable),
                ],
                &conditions,
                &binds
            )
            self.matchText(filter.query, in: ["device_name", "source_table"], &conditions, &binds)
            let order =
                switch filter.sort {
                case .updatedAt: "updated_at DESC, id"
                case .staged: "staged_row_count DESC, id"
                case .device: "device_name, source_table, id"
                }
            return try Self.fetchPage(
                tx,
                from: "lineage",
                where: conditions,
                binds: binds,
                order: order,
                page: page,
                map: Self.lineage
            )
        }
    }

    public func lineageDetail(id: String, projectID: String) async throws -> LineageDetail? {
        try await backend.read { tx in
            guard
                let row = try tx.first(
                    "SELECT * FROM lineage WHERE id = ? AND project_id = ?",
                    [.text(id), .text(projectID)]
                )
            else { return nil }
            let lineage = Self.lineage(row)
            let versions = try tx.query(
                "SELECT * FROM schema_version WHERE lineage_id = ? ORDER BY first_seen_at",
                [.text(id)]
            ).map { version in
                SchemaVersion(
                    schemaHash: version.string("schema_hash"),
                    columns: version.optionalString("columns_json").flatMap {
                        SchemaColumns.parse($0, table: lineage.sourceTable)
                    },
                    classification: SchemaClassification(rawValue: version.string("classification")) ?? .unknown,
                    decision: SchemaVersion.Decision(rawValue: version.string("decision")) ?? .pending,
                    firstSeenAt: Timestamp(ns: version.int64("first_seen_at")),
                    approvedAt: Timestamp(ns: version.optionalInt64("approved_at"))
                )
            }
            let controls = try tx.query(
                "SELECT * FROM pending_control WHERE lineage_id = ? AND acked_at IS NULL ORDER BY created_at",
                [.text(id)]
            ).map(Self.pendingControl)
            let openReview = try tx.value(
                """
                SELECT id FROM schema_review WHERE lineage_id = ? AND status IN ('queued', 'in_review')
                ORDER BY created_at DESC LIMIT 1
                """,
                [.text(id)]
            )?.text
            // The registry entry of the lineage's scope for a schema it has not had approved.
            let openRegistryReview = try tx.value(
                """
                SELECT r.id FROM registry_entry e JOIN schema_review r ON r.id = e.review_id
                WHERE e.project_id = ? AND e.source_table = ? AND r.status IN ('queued', 'in_review')
                AND (e.scope = 'project' OR (e.scope = 'fleet' AND e.fleet_id = ?))
                AND e.schema_hash IN (
                    SELECT schema_hash FROM schema_version WHERE lineage_id = ? AND decision != 'approved')
                ORDER BY r.created_at DESC LIMIT 1
                """,
                [.text(lineage.projectID), .text(lineage.sourceTable), .text(lineage.fleetID), .text(id)]
            )?.text
            let rejections = try tx.query(
                """
                SELECT \(Self.ledgerColumns) FROM batch_ledger l JOIN device d ON d.id = l.device_id
                WHERE l.lineage_id = ? AND l.outcome = 'rejected' ORDER BY l.id DESC LIMIT 10
                """,
                [.text(id)]
            ).map(Self.ledgerEntry)
            let replay = try tx.first(
                "SELECT * FROM replay_intent WHERE lineage_id = ? ORDER BY created_at DESC LIMIT 1",
                [.text(id)]
            ).map {
                ReplayIntent(
                    id: $0.string("id"),
                    lineageID: id,
                    state: ReplayIntent.State(rawValue: $0.string("state")) ?? .pending,
                    totalRows: $0.int64("total_rows"),
                    replayedRows: $0.int64("replayed_rows"),
                    lastError: $0.optionalString("last_error"),
                    createdAt: Timestamp(ns: $0.int64("created_at")),
                    updatedAt: Timestamp(ns: $0.int64("updated_at"))
                )
            }
            return LineageDetail(
                lineage: lineage,
                schemaVersions: versions,
                bindings: try Self.bindings(tx, lineageID: id),
                replayIntent: replay,
                pendingControls: controls,
                openReviewID: openReview,
                openRegistryReviewID: openRegistryReview,
                recentRejections: rejections
            )
        }
    }

    public func stagedRows(
        lineageID: String,
        query: String?,
        page: PageRequest
    ) async throws -> (items: [StagedRow], total: Int) {
        try await backend.read { tx in
            var conditions = ["lineage_id = ?"]
            var binds: [SQLValue] = [.text(lineageID)]
            self.matchText(query, in: ["pk_json", "row_json"], &conditions, &binds)
            guard conditions.count == 1 else {
                return try Self.fetchPage(
                    tx,
                    select: Self.stagedRowColumns,
                    from: "staged_row",
                    where: conditions,
                    binds: binds,
                    order: "id",
                    page: page,
                    map: Self.stagedRow
                )
            }
            // Unfiltered, the total is the lineage's counter: counting staged rows would scan them.
            let total =
                try tx.value("SELECT staged_row_count FROM lineage WHERE id = ?", [.text(lineageID)])?.integer ?? 0
            let items = try tx.query(
                "SELECT \(Self.stagedRowColumns) FROM staged_row WHERE lineage_id = ? ORDER BY id LIMIT ? OFFSET ?",
                binds + [.integer(Int64(page.limit)), .integer(Int64(page.offset))]
            ).map(Self.stagedRow)
            return (items, Int(total))
        }
    }

    public func batches(
        projectID: String,
        filter: BatchFilter,
        page: PageRequest
    ) async throws -> (items: [BatchLedgerEntry], total: Int) {
        try await backend.read { tx in
            var conditions = ["l.project_id = ?"]
            var binds: [SQLValue] = [.text(projectID)]
            Self.match(
                [
                    ("l.device_id", filter.deviceID), ("l.lineage_id", filter.lineageID),
                    ("l.outcome", filter.outcome?.rawValue),
                    ("l.rejection_code", filter.code?.rawValue),
                ],
                &conditions,
                &binds
            )
            return try Self.fetchPage(
                tx,
                select: Self.ledgerColumns,
                from: "batch_ledger l JOIN device d ON d.id = l.device_id",
                where: conditions,
                binds: binds,
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
        try await backend.read { tx in
            var conditions = ["r.project_id = ?", filter.registry ? "r.scope != 'device'" : "r.scope = 'device'"]
            var binds: [SQLValue] = [.text(projectID)]
            Self.match([("r.lineage_id", filter.lineageID), ("r.device_id", filter.deviceID)], &conditions, &binds)
            self.matchText(filter.query, in: ["d.name", "r.source_table"], &conditions, &binds)
            if let statuses = filter.status?.statuses {
                conditions.append("r.status IN \(BulkSQL.tuple(statuses.count))")
                binds += statuses.map { .text($0.rawValue) }
            }
            return try Self.fetchPage(
                tx,
                select: "r.*, d.name AS device_name, l.staged_row_count",
                from:
                    "schema_review r LEFT JOIN device d ON d.id = r.device_id LEFT JOIN lineage l ON l.id = r.lineage_id",
                where: conditions,
                binds: binds,
                order: "r.created_at, r.id",
                page: page,
                map: Self.review
            )
        }
    }

    public func events(
        projectID: String,
        filter: EventFilter,
        page: PageRequest
    ) async throws -> (items: [Event], total: Int) {
        try await backend.read { tx in
            var conditions = ["project_id = ?"]
            var binds: [SQLValue] = [.text(projectID)]
            Self.match(
                [
                    ("kind", filter.kind?.rawValue), ("device_id", filter.deviceID), ("lineage_id", filter.lineageID),
                ],
                &conditions,
                &binds
            )
            var order = "id"
            if let since = filter.since {
                let after = self.dialect.events(after: since)
                conditions.append(after.condition)
                binds += after.binds
                order = after.order
            }
            let page = try Self.fetchPage(
                tx,
                from: "event",
                where: conditions,
                binds: binds,
                order: order,
                page: page
            ) { row -> Event? in
                guard let kind = EventKind(rawValue: row.string("kind")) else { return nil }
                return Event(
                    id: row.int64("id"),
                    time: Timestamp(ns: row.int64("time")),
                    projectID: row.string("project_id"),
                    deviceID: row.optionalString("device_id"),
                    lineageID: row.optionalString("lineage_id"),
                    kind: kind,
                    outcome: row.string("outcome"),
                    message: row.string("message")
                )
            }
            return (try Self.named(tx, page.items.compactMap { $0 }), page.total)
        }
    }

    /// Events with the names of their device and lineage table, read once per page.
    private static func named(_ tx: any SQLTransaction, _ events: [Event]) throws -> [Event] {
        func names(_ sql: String, _ ids: Set<String>) throws -> [String: String] {
            guard !ids.isEmpty else { return [:] }
            let rows = try tx.query(sql + " " + BulkSQL.tuple(ids.count), ids.sorted().map { .text($0) })
            return Dictionary(
                rows.map { ($0.string("id"), $0.string("name")) },
                uniquingKeysWith: { first, _ in first }
            )
        }
        let devices = try names("SELECT id, name FROM device WHERE id IN", Set(events.compactMap(\.deviceID)))
        let tables = try names(
            "SELECT id, source_table AS name FROM lineage WHERE id IN",
            Set(events.compactMap(\.lineageID))
        )
        return events.map { event in
            var event = event
            event.deviceName = event.deviceID.flatMap { devices[$0] }
            event.sourceTable = event.lineageID.flatMap { tables[$0] }
            return event
        }
    }
}

import EdgeSyncModels
import Foundation
import GRDB

extension SQLiteGovernanceStore {
    /// Approve, inside the review transaction (docs/spec/governance.md, "Column actions"): validate the
    /// actions, create or extend the target, store the bindings, record a replay intent, set the
    /// lineage active (unless a primary-key column is deferred) and, if the device had been told
    /// to pause, tell it to resume.
    func approve(
        _ db: Database,
        review: Row,
        lineageID: String,
        body: ApproveReviewRequest,
        principal: Principal,
        now: Timestamp
    ) throws -> [OutboundControl] {
        guard let lineage = try Row.fetchOne(db, sql: "SELECT * FROM lineage WHERE id = ?", arguments: [lineageID])
        else {
            throw APIError(.notFound, "the review's lineage no longer exists")
        }
        let table: String = lineage["source_table"]
        let hash: String = review["schema_hash"]
        let strategy = LineageStrategy(rawValue: lineage["strategy"]) ?? .rows
        let deviceID: String = lineage["device_id"]
        guard let columns = try schemaColumns(db, lineageID: lineageID, table: table, hash: hash) else {
            throw APIError(
                .validationFailed,
                "the columns of schema \(hash.prefix(12)) are unknown: the device sent no schema_columns and no rows"
            )
        }
        let policy = try policy(db, projectID: lineage["project_id"], fleetID: lineage["fleet_id"])
        let points = try Row.fetchAll(
            db,
            sql: "SELECT id, name FROM data_point WHERE device_id = ?",
            arguments: [deviceID]
        )
        let validator = ColumnActionValidator(
            columns: columns,
            strategy: strategy,
            dataPoints: Dictionary(points.map { ($0["id"], $0["name"]) }, uniquingKeysWith: { first, _ in first }),
            allowAutoCreate: policy.allowAutoCreateDeviceDataPoints
        )
        var resolved = try validator.validate(body.columnActions)
        for index in resolved.indices where resolved[index].action.action == .autoCreateAndMap {
            resolved[index].action.deviceDataPointID = try ensureDataPoint(
                db,
                projectID: lineage["project_id"],
                deviceID: deviceID,
                name: resolved[index].action.sourceColumnName,
                now: now
            )
        }
        let tableName =
            try (lineage["mirror_table"] as String?)
            ?? freeTargetName(db, strategy: strategy, deviceID: deviceID, sourceTable: table)
        let target = MaterializationTarget(strategy: strategy, table: tableName, schema: columns, actions: resolved)
        try provision(db, target)
        try db.execute(sql: "DELETE FROM binding WHERE lineage_id = ?", arguments: [lineageID])
        let byName = Dictionary(columns.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for (position, item) in resolved.enumerated() {
            let column = byName[item.action.sourceColumnName]!
            try db.execute(
                sql: """
                    INSERT INTO binding (lineage_id, source_column, action, mirror_column, data_point_id, target_column, affinity, pk_ordinal,
                    schema_hash, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    lineageID, column.name, item.action.action.rawValue,
                    item.action.action == .mirror ? item.targetColumn : nil,
                    item.action.deviceDataPointID, item.targetColumn, column.declTypeAffinity.rawValue,
                    strategy == .rows ? column.pkOrdinal : 0, hash, position,
                ]
            )
        }
        // Columns inferred for an `unknown` schema become the approved version's columns.
        let columnsJSON = CanonicalJSON.string(
            of: SchemaFingerprint(tableName: table, columns: columns).jsonValue["columns"] ?? .array([])
        )
        try db.execute(
            sql: """
                UPDATE schema_version SET decision = 'approved', approved_at = ?, columns_json = COALESCE(columns_json, ?)
                WHERE lineage_id = ? AND schema_hash = ?
                """,
            arguments: [now.ns, columnsJSON, lineageID, hash]
        )
        try db.execute(
            sql: """
                UPDATE schema_review SET status = 'approved', decided_by = ?, decided_at = ?, action_version = action_version + 1, updated_at = ?
                WHERE id = ?
                """,
            arguments: [principal.name, now.ns, now.ns, review["id"] as String]
        )
        let deferredKey = resolved.contains {
            $0.action.action == .defer && (byName[$0.action.sourceColumnName]?.isPrimaryKey ?? false)
        }
        try db.execute(
            sql:
                "UPDATE lineage SET mirror_table = ?, sync_authority = COALESCE(?, sync_authority), updated_at = ? WHERE id = ?",
            arguments: [tableName, body.syncAuthority?.rawValue, now.ns, lineageID]
        )
        guard !deferredKey else { return [] }
        return try activate(
            db,
            lineageID: lineageID,
            now: now,
            message: "schema \(hash.prefix(12)) approved by \(principal.name)"
        )
    }

    /// Sets a lineage active, queues the replay of its staged rows and, when the device had been
    /// paused by a control, a `resume_lineage` from the server's watermark.
    func activate(_ db: Database, lineageID: String, now: Timestamp, message: String) throws -> [OutboundControl] {
        let lineage = try Row.fetchOne(db, sql: "SELECT * FROM lineage WHERE id = ?", arguments: [lineageID])!
        let wasPaused = (lineage["status"] as String) == LineageStatus.paused.rawValue
        try db.execute(
            sql: "UPDATE lineage SET status = 'active', pause_reason = NULL, updated_at = ? WHERE id = ?",
            arguments: [now.ns, lineageID]
        )
        try ensureReplayIntent(db, lineageID: lineageID, now: now)
        if wasPaused {
            try insertEvent(
                db,
                projectID: lineage["project_id"],
                deviceID: lineage["device_id"],
                lineageID: lineageID,
                kind: .lineageResumed,
                outcome: "active",
                message: message,
                at: now
            )
        }
        return try resumeDevice(db, lineage, now: now)
    }

    /// Lifts a pause the device was told about: clears the mark and queues `resume_lineage`
    /// from the server's watermark. Nothing when the device was never paused by a control.
    func resumeDevice(_ db: Database, _ lineage: Row, now: Timestamp) throws -> [OutboundControl] {
        guard (lineage["device_paused"] as Int) == 1 else { return [] }
        let lineageID: String = lineage["id"]
        try db.execute(sql: "UPDATE lineage SET device_paused = 0 WHERE id = ?", arguments: [lineageID])
        guard let device = try deviceIdentity(db, id: lineage["device_id"]) else { return [] }
        let control = DownlinkControl(
            controlID: ids.next().description,
            payload: .resumeLineage(
                sourceTable: lineage["source_table"],
                serverWatermark: Self.lineage(lineage).serverWatermark
            )
        )
        return [try insertControl(db, device: device, lineageID: lineageID, control: control, now: now)]
    }

    /// Creates the target, or adds the columns a re-approval brought. A mirror's primary key
    /// cannot change in place.
    func provision(_ db: Database, _ target: MaterializationTarget) throws {
        guard try db.tableExists(target.table) else {
            for statement in target.createStatements { try db.execute(sql: statement) }
            return
        }
        let existing = try db.columns(in: target.table)
        if target.kind == .mirror {
            let key = existing.filter { $0.primaryKeyIndex > 0 }.sorted { $0.primaryKeyIndex < $1.primaryKeyIndex }.map(
                \.name
            )
            guard key == target.primaryKey else {
                throw APIError(
                    .validationFailed,
                    """
                    mirror \(target.table) is keyed on (\(key.joined(separator: ", "))) but this schema keys on \
                    (\(target.primaryKey.joined(separator: ", "))); delete the lineage to rebuild its mirror
                    """
                )
            }
        }
        for statement in target.addColumnStatements(existing: Set(existing.map(\.name))) {
            try db.execute(sql: statement)
        }
    }

    /// The derived target name, made unique if another lineage's target already has it.
    private func freeTargetName(
        _ db: Database,
        strategy: LineageStrategy,
        deviceID: String,
        sourceTable: String
    ) throws -> String {
        let scope = MirrorScope.device(id: deviceID)
        let name =
            strategy == .rows
            ? MirrorIdentifier.mirrorTableName(scope: scope, sourceTable: sourceTable)
            : MirrorIdentifier.seriesTableName(scope: scope, sourceTable: sourceTable)
        guard try db.tableExists(name) else { return name }
        return name + "_" + String(SHA256Hex.digest(Array((deviceID + "/" + sourceTable).utf8)).prefix(8))
    }

    private func ensureDataPoint(
        _ db: Database,
        projectID: String,
        deviceID: String,
        name: String,
        now: Timestamp
    ) throws -> String {
        if let id = try String.fetchOne(
            db,
            sql: "SELECT id FROM data_point WHERE device_id = ? AND name = ?",
            arguments: [deviceID, name]
        ) {
            return id
        }
        let id = ids.next().description
        try db.execute(
            sql: "INSERT INTO data_point (id, project_id, device_id, name, created_at) VALUES (?, ?, ?, ?, ?)",
            arguments: [id, projectID, deviceID, name, now.ns]
        )
        return id
    }
}

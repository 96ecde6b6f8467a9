import EdgeSyncModels
import GRDB

extension SQLiteGovernanceStore {
    /// Cloud state write-back (docs/spec/governance.md): upserts the rows into the mirror of a
    /// cloud-authoritative lineage, each with its `_cloud_version` increased, and queues one
    /// `state_write` control carrying them to the device, in one transaction.
    public func writeState(
        deviceID: String,
        lineageID: String,
        projectID: String,
        request: StateWriteRequest,
        now: Timestamp
    ) async throws -> (StateWriteResponse, [OutboundControl]) {
        try await pool.write { db in
            guard
                let lineage = try Row.fetchOne(
                    db,
                    sql: "SELECT * FROM lineage WHERE id = ? AND device_id = ? AND project_id = ?",
                    arguments: [lineageID, deviceID, projectID]
                ),
                let device = try self.deviceIdentity(db, id: deviceID)
            else { throw APIError(.notFound, "no lineage \(lineageID) of device \(deviceID)") }
            let table: String = lineage["source_table"]
            guard (lineage["sync_authority"] as String) == SyncAuthority.cloudAuthoritative.rawValue else {
                throw APIError(
                    .edgeStateNotCloudAuthoritative,
                    "\(table) is device_authoritative; approve it with sync_authority cloud_authoritative first"
                )
            }
            guard let target = try self.target(db, lineageID: lineageID), target.kind == .mirror else {
                throw APIError(
                    .edgeStateMirrorNotProvisioned,
                    "\(table) has no mirror yet: approve its schema review first"
                )
            }
            guard (1...StateWriteRequest.maximumRows).contains(request.rows.count) else {
                throw APIError(
                    .validationFailed,
                    "send 1–\(StateWriteRequest.maximumRows) rows",
                    details: ["field": .string("rows")]
                )
            }
            let byTarget = target.columns
            let keyColumns = target.keyColumns
            let quoted = SQLIdentifier.quote(target.table)
            let keyClause = target.primaryKey.map { "\(SQLIdentifier.quote($0)) = ?" }.joined(separator: " AND ")
            var written: [StateWriteRow] = []
            var added = 0
            for (index, row) in request.rows.enumerated() {
                let missing = keyColumns.filter { row.pk[$0.source] == nil }.map(\.source)
                guard missing.isEmpty, row.pk.count == keyColumns.count else {
                    throw APIError(
                        .validationFailed,
                        "rows[\(index)].pk must name exactly the primary key (\(keyColumns.map(\.source).joined(separator: ", ")))",
                        details: ["row": .integer(Int64(index))]
                    )
                }
                let unknown = row.values.keys.filter { name in
                    !byTarget.contains { $0.source == name && $0.pkOrdinal == 0 }
                }
                guard unknown.isEmpty else {
                    throw APIError(
                        .unknownColumn,
                        "rows[\(index)].values: not a mirrored non-key column: \(unknown.joined(separator: ", "))",
                        details: ["row": .integer(Int64(index)), "columns": .array(unknown.map(JSONValue.string))]
                    )
                }
                let dataKey = try keyColumns.map {
                    try MirrorWriter.databaseValue(row.pk[$0.source]!, column: $0.source)
                }
                let key = (target.coalesced ? [deviceID.databaseValue] : []) + dataKey
                let held = try Row.fetchOne(
                    db,
                    sql: "SELECT _cloud_version FROM \(quoted) WHERE \(keyClause)",
                    arguments: StatementArguments(key)
                )
                let version = (held?["_cloud_version"] as Int64? ?? 0) + 1
                let data = try row.values.members.map { member in
                    (
                        byTarget.first { $0.source == member.key }!.target,
                        try MirrorWriter.databaseValue(member.value, column: member.key)
                    )
                }
                let assigned =
                    [("_cloud_version", version.databaseValue), ("_updated_at", now.sortableDescription.databaseValue)]
                    + data
                if held != nil {
                    try db.execute(
                        sql:
                            "UPDATE \(quoted) SET \(assigned.map { "\(SQLIdentifier.quote($0.0)) = ?" }.joined(separator: ", ")) WHERE \(keyClause)",
                        arguments: StatementArguments(assigned.map(\.1) + key)
                    )
                } else {
                    let all =
                        [
                            ("_device_id", deviceID.databaseValue), ("_journal_epoch", "".databaseValue),
                            ("_commit_seq", 0.databaseValue),
                        ]
                        + assigned + zip(keyColumns.map(\.target), dataKey).map { ($0, $1) }
                    try db.execute(
                        sql: """
                            INSERT INTO \(quoted) (\(all.map { SQLIdentifier.quote($0.0) }.joined(separator: ", "))) \
                            VALUES (\(Array(repeating: "?", count: all.count).joined(separator: ", ")))
                            """,
                        arguments: StatementArguments(all.map(\.1))
                    )
                    added += 1
                }
                written.append(StateWriteRow(pk: row.pk, values: row.values, cloudVersion: version))
            }
            try db.execute(
                sql: "UPDATE lineage SET mirrored_row_count = mirrored_row_count + ?, updated_at = ? WHERE id = ?",
                arguments: [added, now.ns, lineageID]
            )
            let control = DownlinkControl(
                controlID: self.ids.next().description,
                payload: .stateWrite(sourceTable: table, rows: written)
            )
            let outbound = try self.insertControl(db, device: device, lineageID: lineageID, control: control, now: now)
            return (
                StateWriteResponse(controlID: control.controlID, rowsWritten: written.count, sourceTable: table),
                [outbound]
            )
        }
    }
}

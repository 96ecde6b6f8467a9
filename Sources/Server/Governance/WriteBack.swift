import EdgeSyncModels

/// Cloud state write-back (docs/spec/governance.md, "Cloud state write-back"): only a
/// cloud-authoritative lineage with a mirror takes rows; each names exactly the primary key and
/// only mirrored non-key columns; its `_cloud_version` increases; one `state_write` control
/// carries them to the device.
public enum WriteBack {
    /// One row to upsert into the mirror: its key and values by target column.
    public struct Row: Sendable, Hashable {
        public var key: [(column: String, value: JSONValue)]
        public var values: [(column: String, value: JSONValue)]
        public var request: StateWriteRequest.Row

        public static func == (lhs: Row, rhs: Row) -> Bool { lhs.request == rhs.request }
        public func hash(into hasher: inout Hasher) { hasher.combine(request) }
    }

    /// Checks the request; returns the mirror and the rows in its columns, or throws the refusal.
    public static func rows(
        _ lineage: LineageState,
        target: MaterializationTarget?,
        request: StateWriteRequest
    ) throws(StoreError) -> (mirror: MaterializationTarget, rows: [Row]) {
        guard lineage.syncAuthority == .cloudAuthoritative else {
            throw StoreError(
                .edgeStateNotCloudAuthoritative,
                "\(lineage.sourceTable) is device_authoritative; approve it with sync_authority cloud_authoritative first"
            )
        }
        guard let target, target.kind == .mirror else {
            throw StoreError(
                .edgeStateMirrorNotProvisioned,
                "\(lineage.sourceTable) has no mirror yet: approve its schema review first"
            )
        }
        guard (1...StateWriteRequest.maximumRows).contains(request.rows.count) else {
            throw StoreError(
                .validationFailed,
                "send 1–\(StateWriteRequest.maximumRows) rows",
                details: ["field": .string("rows")]
            )
        }
        let keyColumns = target.keyColumns
        var rows: [Row] = []
        for (index, row) in request.rows.enumerated() {
            let key = keyColumns.compactMap { column in row.pk[column.source].map { (column.target, $0) } }
            guard key.count == keyColumns.count, row.pk.count == keyColumns.count else {
                throw StoreError(
                    .validationFailed,
                    "rows[\(index)].pk must name exactly the primary key (\(keyColumns.map(\.source).joined(separator: ", ")))",
                    details: ["row": .integer(Int64(index))]
                )
            }
            var values: [(String, JSONValue)] = []
            var unknown: [String] = []
            for member in row.values.members {
                if let column = target.columns.first(where: { $0.source == member.key && $0.pkOrdinal == 0 }) {
                    values.append((column.target, member.value))
                } else {
                    unknown.append(member.key)
                }
            }
            guard unknown.isEmpty else {
                throw StoreError(
                    .unknownColumn,
                    "rows[\(index)].values: not a mirrored non-key column: \(unknown.joined(separator: ", "))",
                    details: ["row": .integer(Int64(index)), "columns": .array(unknown.map(JSONValue.string))]
                )
            }
            rows.append(Row(key: key, values: values, request: row))
        }
        return (target, rows)
    }

    /// The `state_write` that carries the written rows, with their new cloud versions.
    public static func control(_ lineage: LineageState, written: [StateWriteRow]) -> GovernanceEffect {
        .sendControl(
            lineageID: lineage.id,
            deviceID: lineage.deviceID,
            .stateWrite(sourceTable: lineage.sourceTable, rows: written)
        )
    }
}

import EdgeSyncModels

extension SQLGovernanceStore {
    /// A review with its columns, the diff against the version it follows, the suggested
    /// actions and a sample of the rows it holds back.
    public func reviewDetail(id: String, projectID: String) async throws -> SchemaReviewDetail? {
        try await backend.read { tx in
            guard let row = try Self.reviewRow(tx, id: id), row.string("project_id") == projectID else { return nil }
            let review = Self.review(row)
            // A registry review's columns and bindings live in its scope's registry entries.
            func entry(_ hash: String) throws -> SQLRow? {
                try tx.first(
                    """
                    SELECT columns_json, bindings_json FROM registry_entry WHERE project_id = ? AND scope = ? AND fleet_id = ?
                    AND source_table = ? AND schema_hash = ?
                    """,
                    [
                        .text(projectID), .text(review.scope.rawValue), .text(review.fleetID ?? ""),
                        .text(review.sourceTable),
                        .text(hash),
                    ]
                )
            }
            func columns(_ hash: String?) throws -> [SchemaColumn]? {
                guard let hash else { return nil }
                guard let lineageID = review.lineageID else {
                    return try entry(hash)?.optionalString("columns_json").flatMap {
                        SchemaColumns.parse($0, table: review.sourceTable)
                    }
                }
                return try Self.schemaColumns(tx, lineageID: lineageID, table: review.sourceTable, hash: hash)
            }
            let previousHash = row.optionalString("previous_schema_hash")
            let current = try columns(review.schemaHash)
            let previous = try columns(previousHash)
            let bindings =
                try review.lineageID.map { try Self.bindings(tx, lineageID: $0) }
                ?? previousHash.flatMap {
                    try Self.registryBindings(entry($0)?.optionalString("bindings_json")).map(\.action)
                } ?? []
            let sample =
                try review.lineageID.map { lineageID in
                    try tx.query(
                        "SELECT \(Self.stagedRowColumns) FROM staged_row WHERE lineage_id = ? AND schema_hash = ? ORDER BY id LIMIT 5",
                        [.text(lineageID), .text(review.schemaHash)]
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
}

import EdgeSyncModels

/// The header counts of a console in one read: three grouped counts on indexed columns.
extension SQLGovernanceStore {
    public func summary(projectID: String, tokenID: String) async throws -> EdgeSummary {
        try await backend.read { tx in
            let lineages = try tx.query(
                "SELECT status, COUNT(*) AS n FROM lineage WHERE project_id = ? GROUP BY status",
                [.text(projectID)]
            )
            func lineageCount(_ status: LineageStatus) -> Int {
                Int(lineages.first { $0.string("status") == status.rawValue }?.int64("n") ?? 0)
            }
            let reviews = try tx.query(
                """
                SELECT status, COUNT(*) AS n, SUM(CASE WHEN claimed_by_token = ? THEN 1 ELSE 0 END) AS mine
                FROM schema_review WHERE project_id = ? AND status IN ('queued', 'in_review') GROUP BY status
                """,
                [.text(tokenID), .text(projectID)]
            )
            let inReview = reviews.first { $0.string("status") == ReviewStatus.inReview.rawValue }
            let devices = try tx.first(
                """
                SELECT COUNT(*) AS total,
                SUM(CASE WHEN \(Self.connectedCondition(device: "device.id", dialect: self.dialect)) THEN 1 ELSE 0 END)
                AS connected FROM device WHERE project_id = ?
                """,
                [.text(projectID)]
            )
            return EdgeSummary(
                lineages: .init(active: lineageCount(.active), paused: lineageCount(.paused)),
                reviews: .init(
                    queued: Int(reviews.first { $0.string("status") == ReviewStatus.queued.rawValue }?.int64("n") ?? 0),
                    inReview: Int(inReview?.int64("n") ?? 0),
                    mine: Int(inReview?.optionalInt64("mine") ?? 0)
                ),
                devices: .init(
                    total: Int(devices?.int64("total") ?? 0),
                    connected: Int(devices?.optionalInt64("connected") ?? 0)
                )
            )
        }
    }
}

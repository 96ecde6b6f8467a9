import EdgeSyncModels

/// Rejected batches kept byte for byte (docs/spec/wire-protocol.md, "After a rejection"): the
/// device deletes what the server PUBACKed, so the server is where a rejected batch survives
/// until an operator has fixed the cause and re-ingests it. Bounded per project by the policy's
/// `max_rejected_payload_bytes`, oldest evicted first.
extension SQLGovernanceStore {
    /// The columns a ledger read selects for `ledgerEntry`, from `batch_ledger l JOIN device d`.
    static let ledgerColumns =
        "l.*, d.name AS device_name, EXISTS (SELECT 1 FROM rejected_payload p WHERE p.ledger_id = l.id) AS payload_kept"

    /// Keeps the payload of the rejected entry `ledgerID` and applies `RejectedPayloadRetention`'s
    /// evictions. Returns the eviction's event, if any.
    func keepRejectedPayload(
        _ tx: any SQLTransaction,
        _ plan: IngestPlan,
        ledgerID: Int64
    ) throws -> [GovernanceEffect] {
        let project = plan.device.projectID
        let limit = try Self.policy(tx, projectID: project, fleetID: plan.device.fleetID).maxRejectedPayloadBytes
        guard RejectedPayloadRetention.keeps(bytes: plan.payload.count, limit: limit) else { return [] }
        try tx.execute(
            "INSERT INTO rejected_payload (ledger_id, project_id, bytes, payload) VALUES (?, ?, ?, ?)",
            [.integer(ledgerID), .text(project), .integer(Int64(plan.payload.count)), .blob(plan.payload)]
        )
        let total =
            try tx.value(
                """
                INSERT INTO rejected_payload_usage (project_id, bytes) VALUES (?, ?) ON CONFLICT (project_id)
                DO UPDATE SET bytes = rejected_payload_usage.bytes + excluded.bytes RETURNING bytes
                """,
                [.text(project), .integer(Int64(plan.payload.count))]
            )?.integer ?? 0
        var remaining = total
        var effects: [GovernanceEffect] = []
        while remaining > limit {
            let oldest = try tx.query(
                "SELECT ledger_id, bytes FROM rejected_payload WHERE project_id = ? ORDER BY ledger_id LIMIT 256",
                [.text(project)]
            ).map { (ledgerID: $0[0].integer ?? 0, bytes: $0[1].integer ?? 0) }
            let eviction = RejectedPayloadRetention.evictions(
                total: remaining,
                limit: limit,
                oldest: oldest,
                projectID: project
            )
            guard !eviction.ledgerIDs.isEmpty else { break }
            for id in eviction.ledgerIDs {
                try tx.execute("DELETE FROM rejected_payload WHERE ledger_id = ?", [.integer(id)])
            }
            remaining = eviction.remaining
            effects += eviction.effects
        }
        if remaining != total {
            try tx.execute(
                "UPDATE rejected_payload_usage SET bytes = ? WHERE project_id = ?",
                [.integer(remaining), .text(project)]
            )
        }
        return effects
    }

    /// Forgets the kept payloads of ledger entries about to be deleted with their lineage or device.
    static func releaseRejectedPayloads(
        _ tx: any SQLTransaction,
        ledgerWhere condition: String,
        _ binds: [SQLValue]
    )
        throws
    {
        // Two set-based statements whatever the number of payloads: the usage first (it reads
        // the payloads), then the payloads.
        let payloads = """
            SELECT p.project_id, p.bytes FROM rejected_payload p JOIN batch_ledger l ON l.id = p.ledger_id
            WHERE \(condition)
            """
        try tx.execute(
            """
            UPDATE rejected_payload_usage SET bytes = bytes - (
                SELECT COALESCE(SUM(x.bytes), 0) FROM (\(payloads)) x WHERE x.project_id = rejected_payload_usage.project_id
            )
            WHERE project_id IN (SELECT x.project_id FROM (\(payloads)) x)
            """,
            binds + binds
        )
        try tx.execute(
            "DELETE FROM rejected_payload WHERE ledger_id IN (SELECT l.id FROM batch_ledger l WHERE \(condition))",
            binds
        )
    }

    public func rejectedPayload(entryID: Int64, projectID: String) async throws -> RejectedPayload {
        try await backend.read { tx in
            guard
                let entry = try tx.first(
                    """
                    SELECT \(Self.ledgerColumns) FROM batch_ledger l JOIN device d ON d.id = l.device_id
                    WHERE l.id = ? AND l.project_id = ?
                    """,
                    [.integer(entryID), .text(projectID)]
                ).map(Self.ledgerEntry)
            else { throw StoreError.notFound("no batch ledger entry \(entryID)") }
            guard
                let payload = try tx.value(
                    "SELECT payload FROM rejected_payload WHERE ledger_id = ?",
                    [.integer(entryID)]
                )?
                .blob
            else {
                let why =
                    if let again = entry.reingestedEntryID {
                        "entry \(entryID) was re-ingested as entry \(again); that entry holds the outcome"
                    } else if entry.outcome == .rejected {
                        "the payload of entry \(entryID) was evicted (policy max_rejected_payload_bytes)"
                    } else {
                        "entry \(entryID) was \(entry.outcome.rawValue), not rejected: only rejected payloads are kept"
                    }
                throw StoreError(
                    .payloadNotKept,
                    why,
                    details: entry.reingestedEntryID.map { ["reingested_entry_id": .integer($0)] }
                )
            }
            return RejectedPayload(entry: entry, payload: payload)
        }
    }

    public func markReingested(
        entryID: Int64,
        as newEntryID: Int64?,
        by principal: String,
        now: Timestamp
    )
        async throws
    {
        try await backend.write { tx in
            guard
                let row = try tx.first(
                    "SELECT project_id, device_id, lineage_id FROM batch_ledger WHERE id = ?",
                    [.integer(entryID)]
                )
            else { return }
            try tx.execute(
                "UPDATE batch_ledger SET reingested_entry_id = ? WHERE id = ?",
                [.integer(newEntryID ?? 0), .integer(entryID)]
            )
            // The bytes now live on (or are done with) the new entry: one copy is enough.
            try Self.releaseRejectedPayloads(tx, ledgerWhere: "l.id = ?", [.integer(entryID)])
            try Self.insertEvent(
                tx,
                GovernanceEvent(
                    projectID: row.string("project_id"),
                    deviceID: row.optionalString("device_id"),
                    lineageID: row.optionalString("lineage_id"),
                    kind: .batchReingested,
                    outcome: principal,
                    message:
                        "rejected batch entry \(entryID) re-ingested by \(principal)"
                        + (newEntryID.map { " as entry \($0)" } ?? "")
                ),
                at: now
            )
        }
    }
}

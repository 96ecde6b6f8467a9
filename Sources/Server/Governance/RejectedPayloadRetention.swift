import EdgeSyncModels

/// Which rejected payloads the server keeps (docs/spec/wire-protocol.md, "After a rejection"):
/// every one, while the project's kept bytes stay within the policy's `max_rejected_payload_bytes`;
/// beyond it the oldest go first, and the eviction is recorded.
public enum RejectedPayloadRetention {
    /// A payload is kept when keeping is enabled and it fits the limit on its own.
    public static func keeps(bytes: Int, limit: Int64) -> Bool {
        limit > 0 && bytes > 0 && Int64(bytes) <= limit
    }

    /// The oldest payloads to drop (from `oldest`, oldest first) so that `total` fits `limit`,
    /// and the event naming them.
    public static func evictions(
        total: Int64,
        limit: Int64,
        oldest: [(ledgerID: Int64, bytes: Int64)],
        projectID: String
    ) -> (ledgerIDs: [Int64], remaining: Int64, effects: [GovernanceEffect]) {
        var remaining = total
        var dropped: [Int64] = []
        for payload in oldest where remaining > limit {
            remaining -= payload.bytes
            dropped.append(payload.ledgerID)
        }
        guard !dropped.isEmpty else { return ([], total, []) }
        let event = GovernanceEvent(
            projectID: projectID,
            deviceID: nil,
            lineageID: nil,
            kind: .rejectedPayloadEvicted,
            outcome: "\(dropped.count)",
            message:
                "kept rejected payloads over \(limit) bytes: dropped ledger entries \(dropped.map(String.init).joined(separator: ", "))"
        )
        return (dropped, remaining, [.record(event)])
    }
}

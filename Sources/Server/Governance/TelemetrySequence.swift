import EdgeSyncModels

/// Telemetry dedup per batch (docs/spec/wire-protocol.md, "Telemetry batch"): the same `batch_id`
/// again is a no-op; a new `batch_id` must bring a `batch_seq` not used before and not below the
/// highest accepted.
public enum TelemetrySequence {
    public enum Verdict: Sendable, Hashable {
        case accept
        /// The same batch again.
        case duplicate
        case reject(RejectionCode, String)
    }

    public static func check(
        batchSeq: Int64,
        sameBatchSeen: Bool,
        seqUsedByAnotherBatch: Bool,
        highestAccepted: Int64?
    ) -> Verdict {
        if sameBatchSeen { return .duplicate }
        if seqUsedByAnotherBatch {
            return .reject(.duplicateBatchSeq, "batch_seq \(batchSeq) was already used by another batch")
        }
        if let highestAccepted, batchSeq < highestAccepted {
            return .reject(.staleBatchSeq, "batch_seq \(batchSeq) is below the highest accepted, \(highestAccepted)")
        }
        return .accept
    }
}

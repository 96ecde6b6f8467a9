import EdgeSyncModels

/// Telemetry dedup per batch (docs/spec/wire-protocol.md, "Telemetry batch"): the same `batch_id`
/// again is a no-op; a new `batch_id` must bring a `batch_seq` not used before and not below the
/// highest accepted, counted within the table's `journal_epoch` (ext): a newer epoch starts the
/// sequence over, an older one is stale.
public enum TelemetrySequence {
    public enum Verdict: Sendable, Hashable {
        case accept
        /// A newer `journal_epoch`: forget the sequence of the older one, then accept.
        case restart
        /// The same batch again.
        case duplicate
        case reject(RejectionCode, String)
    }

    /// - Parameters:
    ///   - epoch: the batch's `journal_epoch`, '' when it sends none.
    ///   - currentEpoch: the epoch the table's sequence counts in now, '' before any.
    public static func check(
        batchSeq: Int64,
        epoch: String = "",
        currentEpoch: String = "",
        sameBatchSeen: Bool,
        seqUsedByAnotherBatch: Bool,
        highestAccepted: Int64?
    ) -> Verdict {
        if sameBatchSeen { return .duplicate }
        if epoch != currentEpoch {
            // UUIDv7 text orders by time.
            guard epoch > currentEpoch else {
                return .reject(
                    .staleBatchSeq,
                    "journal_epoch \(epoch.isEmpty ? "(none)" : epoch) is older than the table's current \(currentEpoch)"
                )
            }
            return .restart
        }
        if seqUsedByAnotherBatch {
            return .reject(.duplicateBatchSeq, "batch_seq \(batchSeq) was already used by another batch")
        }
        if let highestAccepted, batchSeq < highestAccepted {
            return .reject(.staleBatchSeq, "batch_seq \(batchSeq) is below the highest accepted, \(highestAccepted)")
        }
        return .accept
    }
}

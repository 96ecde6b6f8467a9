/// The batches of one table published and not yet done, oldest first, for a publisher that keeps
/// more than one on its way. They are done in the order sent, and only up to the first that
/// failed: the cursor never passes rows the server has not acknowledged. A batch acknowledged
/// after one that failed stays outbound and goes again; the server's dedup drops its rows.
struct PublishWindow {
    private var sent: [(batch: OutboundBatch, acknowledged: Task<Void, any Error>)] = []
    /// A publish failed: nothing after it is done.
    private var failed = false

    var count: Int { sent.count }
    var isEmpty: Bool { sent.isEmpty }
    /// The batches on their way, oldest first.
    var batches: [OutboundBatch] { sent.map(\.batch) }

    /// `acknowledged` is the batch's publish, which returns at its PUBACK.
    mutating func append(_ batch: OutboundBatch, _ acknowledged: Task<Void, any Error>) {
        sent.append((batch, acknowledged))
    }

    /// Waits for the oldest batch's PUBACK and returns it, done; throws what its publish threw.
    mutating func next() async throws -> OutboundBatch? {
        guard !failed, !sent.isEmpty else { return nil }
        let oldest = sent.removeFirst()
        do {
            try await withTaskCancellationHandler {
                try await oldest.acknowledged.value
            } onCancel: {
                oldest.acknowledged.cancel()
            }
        } catch {
            failed = true
            throw error
        }
        return oldest.batch
    }

    /// Waits for every publish still on its way (cancelled first if the caller is) and returns
    /// the batches done, in order, up to the first that failed.
    mutating func settle() async -> [OutboundBatch] {
        if Task.isCancelled { for entry in sent { entry.acknowledged.cancel() } }
        var done: [OutboundBatch] = []
        for entry in sent {
            let acknowledged = (try? await entry.acknowledged.value) != nil
            failed = failed || !acknowledged
            if !failed { done.append(entry.batch) }
        }
        sent = []
        return done
    }
}

import Synchronization

/// The replay's next chunk, read and parsed on a reader connection while the writer
/// materializes the current one: reading staged rows, parsing their JSON and hashing their keys
/// took a third of the writer's time per step. A step takes the chunk only when it is still
/// exactly the lineage's first staged rows (`ReplayChunk.isFirst`), and undoes itself if any
/// of them was gone by its delete (`ReplayReadAhead.stale`).
final class ReplayReadAhead: Sendable {
    /// A step found the chunk it took stale after it had begun to write: thrown, it rolls the
    /// step's transaction back, and the step runs again on rows it reads itself.
    static let stale = StoreError(
        .conflict,
        "replay_chunk_stale: a staged row of the chunk was replayed or removed meanwhile; the next step reads the lineage again"
    )

    private struct Pending {
        var limit: Int
        var task: Task<ReplayChunk, any Error>
    }

    private let pending = Mutex<Pending?>(nil)

    /// Starts reading the chunk of `limit` rows that follows the one a step is writing, in place
    /// of any chunk read before.
    func start(limit: Int, _ read: @escaping @Sendable () async throws -> ReplayChunk) {
        swap(Pending(limit: limit, task: Task { try await read() }))?.task.cancel()
    }

    /// The chunk read ahead for a step of `limit` rows, once read; nil when there is none, or
    /// its read failed (the step reads for itself).
    func take(limit: Int) async -> ReplayChunk? {
        guard let taken = swap(nil) else { return nil }
        guard taken.limit == limit else {
            taken.task.cancel()
            return nil
        }
        return try? await taken.task.value
    }

    /// Waits for a read in progress to end, before the store closes its database.
    func discard() async {
        guard let taken = swap(nil) else { return }
        taken.task.cancel()
        _ = try? await taken.task.value
    }

    /// Puts `new` in place of the chunk pending, returning that one.
    private func swap(_ new: Pending?) -> Pending? {
        pending.withLock { pending in
            defer { pending = new }
            return pending
        }
    }
}

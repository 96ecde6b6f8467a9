import NIOCore
import Synchronization

/// The PUBLISHes of one connection between arrival and acknowledgement.
///
/// A message's first phase (a delegate's `prepare`) starts as it arrives, on the global executor,
/// beside those of the other messages in hand. Second phases run one at a time in arrival order,
/// and each acknowledgement is written after its own second phase returned. Whoever finishes a
/// phase goes on with the next message itself: the reading event loop when a message arrives with
/// nothing ahead of it (`Task.immediate`), or the task whose first phase or second phase just
/// ended. So a message takes no thread handoff that its own handling does not take, and with a
/// delegate that does not suspend, read, handling and PUBACK stay on the event loop.
///
/// At most `depth` messages are in hand: beyond that the handler stops reading, so a client that
/// floods is held back by TCP.
final class MQTTPublishSequencer: Sendable {
    /// What a message needs before its acknowledgement.
    enum Handling: Sendable {
        /// Nothing: a repeated QoS 2 message, only acknowledged again.
        case none
        /// Its whole handling, run in its turn.
        case commit(MQTTPublishCommit)
        /// A first phase to start now, which returns the second.
        case prepare(@Sendable () async -> MQTTPublishCommit)
    }

    private enum Work: Sendable {
        case ready(MQTTPublishCommit?)
        case preparing
    }

    private struct Entry: Sendable {
        var id: UInt64
        var work: Work
        var acknowledgement: MQTTPacket?
    }

    private struct State: Sendable {
        var entries = CircularBuffer<Entry>()
        var nextID: UInt64 = 0
        /// A task is running second phases; only it removes entries.
        var committing = false
        /// A second phase failed: the connection is closing and nothing more is handled.
        var stopped = false
        /// The connection ended: messages in hand still commit, no new ones are taken.
        var finished = false
        /// The handler found `depth` messages in hand and holds its reads until there is room.
        var readHeld = false
        /// Acknowledgements handed to the event loop's task queue and not yet written.
        var queuedAcknowledgements = 0
        var drainWaiters: [CheckedContinuation<Void, Never>] = []
        /// The publish handler's context: acknowledgements start there rather than at the
        /// pipeline's tail, which would take them through the connection task's handler and the
        /// channel's type-erased write.
        var output: NIOLoopBound<ChannelHandlerContext>?

        /// The head, if it is ready and no run is going: the caller runs from it.
        mutating func claimRun() -> Entry? {
            guard !committing, let head = readyHead else { return nil }
            committing = true
            return head
        }

        var readyHead: Entry? {
            guard let head = entries.first, case .ready = head.work else { return nil }
            return head
        }
    }

    private let state = Mutex(State())
    private let channel: any Channel
    private let depth: Int

    init(channel: any Channel, depth: Int) {
        self.channel = channel
        self.depth = max(1, depth)
    }

    /// Where acknowledgements are written from: the publish handler's context while it is in the
    /// pipeline (set on the event loop when it is added, before any message; nil once removed,
    /// which also ends the handler, context and sequencer holding each other).
    func attach(_ context: ChannelHandlerContext?) {
        let output = context.map { NIOLoopBound($0, eventLoop: $0.eventLoop) }
        state.withLock { $0.output = output }
    }

    /// Takes a message in arrival order (called on the event loop that read it).
    func enqueue(acknowledgement: MQTTPacket?, handling: Handling) {
        let taken: (id: UInt64, run: Entry?)? = state.withLock { state in
            guard !state.stopped, !state.finished else { return nil }
            let id = state.nextID
            state.nextID += 1
            let work: Work
            switch handling {
            case .none: work = .ready(nil)
            case .commit(let commit): work = .ready(commit)
            case .prepare: work = .preparing
            }
            state.entries.append(Entry(id: id, work: work, acknowledgement: acknowledgement))
            return (id, state.claimRun())
        }
        guard let taken else { return }
        if case .prepare(let prepare) = handling {
            Task {
                let commit = await prepare()
                await self.prepared(taken.id, commit)
            }
        }
        if let head = taken.run { Task.immediate { await self.runCommits(from: head) } }
    }

    /// Whether `depth` messages are in hand; if so, the sequencer asks the channel for a read
    /// once one has been acknowledged.
    func isFull() -> Bool {
        state.withLock { state in
            guard state.entries.count >= depth, !state.stopped else { return false }
            state.readHeld = true
            return true
        }
    }

    /// The connection ended: returns once every message in hand has been handled.
    func finish() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                state.finished = true
                guard state.committing || !state.entries.isEmpty else { return true }
                state.drainWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    private func prepared(_ id: UInt64, _ commit: @escaping MQTTPublishCommit) async {
        let head = state.withLock { state -> Entry? in
            guard let index = state.entries.firstIndex(where: { $0.id == id }) else { return nil }
            state.entries[index].work = .ready(commit)
            return state.claimRun()
        }
        if let head { await runCommits(from: head) }
    }

    /// Runs second phases in order while their messages are ready. A failed one closes the
    /// connection without acknowledging it or anything after it; the client resends them.
    private func runCommits(from first: Entry) async {
        var head = first
        while true {
            var failed = false
            if case .ready(let commit?) = head.work {
                do {
                    try await commit()
                } catch {
                    failed = true
                }
            }
            var direct: (MQTTPacket, NIOLoopBound<ChannelHandlerContext>?)?
            let (next, readable, waiters) = state.withLock {
                state -> (next: Entry?, readable: Bool, waiters: [CheckedContinuation<Void, Never>]) in
                if failed {
                    state.stopped = true
                    state.entries.removeAll()
                } else {
                    state.entries.removeFirst()
                    if let acknowledgement = head.acknowledgement {
                        direct = send(acknowledgement, state: &state)
                    }
                }
                let readable = state.readHeld && state.entries.count < depth && !state.stopped
                if readable { state.readHeld = false }
                if let next = state.readyHead { return (next, readable, []) }
                state.committing = false
                guard state.finished, state.entries.isEmpty else { return (nil, readable, []) }
                defer { state.drainWaiters = [] }
                return (nil, readable, state.drainWaiters)
            }
            if let (acknowledgement, output) = direct { Self.write(acknowledgement, to: output) }
            if failed { channel.close(promise: nil) }
            if readable {
                let channel = channel
                channel.eventLoop.execute { channel.read() }
            }
            for waiter in waiters { waiter.resume() }
            guard let next else { return }
            head = next
        }
    }

    /// Sends an acknowledgement in order (called under the lock, before the next run can start on
    /// another thread): returns it for the caller to write at once, after the lock, when on the
    /// event loop with none queued; queues it on the loop otherwise. Whatever is decided later is
    /// either queued behind it or decided on this same thread once it is written.
    private func send(
        _ acknowledgement: MQTTPacket,
        state: inout State
    ) -> (MQTTPacket, NIOLoopBound<ChannelHandlerContext>?)? {
        let output = state.output
        if state.queuedAcknowledgements == 0, channel.eventLoop.inEventLoop { return (acknowledgement, output) }
        state.queuedAcknowledgements += 1
        let channel = channel
        channel.eventLoop.execute {
            Self.write(acknowledgement, to: output)
            self.state.withLock { $0.queuedAcknowledgements -= 1 }
        }
        return nil
    }

    /// Writes from the publish handler's context, which is attached before the handler reads.
    private static func write(_ acknowledgement: MQTTPacket, to output: NIOLoopBound<ChannelHandlerContext>?) {
        output?.value.writeAndFlush(NIOAny(acknowledgement), promise: nil)
    }
}

/// A message's second phase: what must happen, in order, before it is acknowledged.
public typealias MQTTPublishCommit = @Sendable () async throws -> Void

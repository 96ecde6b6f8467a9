import NIOCore

/// The PUBLISHes of one connection between arrival and acknowledgement, for a delegate that
/// prepares ahead. Each message's first phase (`mqttListener(prepare:from:)`: decoding,
/// validation) starts as it arrives, beside those of other messages in hand, while the committer
/// runs second phases one at a time in arrival order and sends each acknowledgement after its own
/// second phase returned. At most `depth` messages are in hand: the reader waits for a slot, so a
/// client that floods is held back by TCP.
struct MQTTPublishPipeline: Sendable {
    /// A message in hand: its first phase, which returns the second (nil for a repeated QoS 2
    /// message, only acknowledged again) and the packet that acknowledges it (nil for QoS 0).
    private struct Entry: Sendable {
        var prepared: Task<MQTTPublishCommit, Never>?
        var acknowledgement: MQTTPacket?
    }

    private let entries: AsyncStream<Entry>.Continuation
    private let stream: AsyncStream<Entry>
    private let slots: AsyncStream<Void>.Continuation
    private let slotStream: AsyncStream<Void>

    init(depth: Int) {
        (stream, entries) = AsyncStream.makeStream(of: Entry.self)
        (slotStream, slots) = AsyncStream.makeStream(of: Void.self)
        for _ in 0..<max(1, depth) { slots.yield() }
    }

    /// The reader's waits for a slot; only the reader uses it.
    func makeSlotIterator() -> AsyncStream<Void>.Iterator { slotStream.makeAsyncIterator() }

    /// The reader's side: waits for a slot, starts the message's first phase (`prepare`) and
    /// queues it. False when the committer has stopped (a second phase failed and the connection
    /// is closing).
    func enqueue(
        acknowledgement: MQTTPacket?,
        prepare: (@Sendable () async -> MQTTPublishCommit)?,
        slot: inout AsyncStream<Void>.Iterator
    ) async -> Bool {
        guard await slot.next() != nil else { return false }
        entries.yield(Entry(prepared: prepare.map { body in Task { await body() } }, acknowledgement: acknowledgement))
        return true
    }

    /// No more messages: the committer finishes those in hand and returns.
    func finish() { entries.finish() }

    /// The committer's side: runs second phases in order and sends acknowledgements. A failed
    /// second phase stops it without acknowledging: the connection is closed, the messages in hand
    /// are dropped unacknowledged, and the client resends them.
    func commit(outbound: NIOAsyncChannelOutboundWriter<MQTTPacket>, channel: any Channel) async {
        defer { slots.finish() }
        for await entry in stream {
            do {
                try await entry.prepared?.value()
            } catch {
                // Closing ends the reader, which then finishes the stream drained here.
                slots.finish()
                try? await channel.close()
                for await _ in stream {}
                return
            }
            if let acknowledgement = entry.acknowledgement {
                await MQTTListener.send(outbound, acknowledgement)
            }
            slots.yield()
        }
    }
}

/// A message's second phase: what must happen, in order, before it is acknowledged.
public typealias MQTTPublishCommit = @Sendable () async throws -> Void

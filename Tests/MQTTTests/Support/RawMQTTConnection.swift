import MQTT
import NIOCore
import NIOPosix
import TestSupport

/// A bare MQTT connection for protocol-level tests: sends exactly the packets a test names and
/// reports exactly what comes back, including the connection closing.
final class RawMQTTConnection: Sendable {
    let channel: NIOAsyncChannel<MQTTPacket, MQTTPacket>
    private let inbox = Inbox()
    private let reader: Task<Void, Never>

    /// Packets received so far, whether the connection has closed, and the writer.
    actor Inbox {
        var packets: [MQTTPacket] = []
        var closed = false
        var writer: NIOAsyncChannelOutboundWriter<MQTTPacket>?

        func attach(_ writer: NIOAsyncChannelOutboundWriter<MQTTPacket>) { self.writer = writer }

        func append(_ packet: MQTTPacket) { packets.append(packet) }
        func close() { closed = true }

        func take() -> (MQTTPacket?, Bool) {
            packets.isEmpty ? (nil, closed) : (packets.removeFirst(), false)
        }
    }

    /// Nothing came back in time: names the caller's line and the connection's ports, so a hang
    /// seen once in a long run says which step of its test it was.
    struct Timeout: Error, CustomStringConvertible {
        var waitedFor: String
        var line: UInt
        var local: String
        var remote: String

        var description: String { "Timeout: \(waitedFor) at line \(line) (\(local) → \(remote))" }
    }

    private func timeout(_ waitedFor: String, line: UInt) -> Timeout {
        Timeout(
            waitedFor: waitedFor,
            line: line,
            local: channel.channel.localAddress?.description ?? "?",
            remote: channel.channel.remoteAddress?.description ?? "?"
        )
    }

    init(port: Int) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(MQTTPacketDecoder()), MessageToByteHandler(MQTTPacketEncoder()),
                    ])
                    return try NIOAsyncChannel<MQTTPacket, MQTTPacket>(wrappingChannelSynchronously: channel)
                }
            }
        self.channel = channel
        let inbox = self.inbox
        reader = Task {
            _ = try? await channel.executeThenClose { inbound, outbound in
                await inbox.attach(outbound)
                do {
                    for try await packet in inbound { await inbox.append(packet) }
                } catch {}
            }
            await inbox.close()
        }
        while await inbox.writer == nil, await !inbox.closed { try await Task.sleep(for: .milliseconds(1)) }
    }

    func send(_ packet: MQTTPacket, line: UInt = #line) async throws {
        guard let writer = await inbox.writer else {
            throw timeout("a writer (the connection closed at once)", line: line)
        }
        try await writer.write(packet)
    }

    /// The next packet; nil once the server has closed the connection; throws on timeout.
    func receive(timeout: Duration = hangDeadline, line: UInt = #line) async throws -> MQTTPacket? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let (packet, closed) = await inbox.take()
            if let packet { return packet }
            if closed { return nil }
            guard ContinuousClock.now < deadline else {
                throw self.timeout("a packet or the close, \(timeout)", line: line)
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Connects and returns the CONNACK.
    func connect(_ connect: MQTTPacket.Connect, line: UInt = #line) async throws -> MQTTPacket.ConnAck? {
        try await send(.connect(connect), line: line)
        guard case .connack(let ack)? = try await receive(line: line) else { return nil }
        return ack
    }

    /// Sends a `sync/rows/batch` message of `clientID` whose payload is `payload`'s UTF-8.
    func publish(
        _ payload: String,
        id: UInt16?,
        qos: QoS = .atLeastOnce,
        dup: Bool = false,
        clientID: String = "dev-1"
    ) async throws {
        var publish = MQTTPacket.Publish(
            topic: "dev/\(clientID)/sync/rows/batch",
            payload: ByteBuffer(string: payload),
            qos: qos,
            packetID: id
        )
        publish.dup = dup
        try await send(.publish(publish))
    }

    /// Waits until the server closes the connection (throws on timeout).
    func waitUntilClosed(timeout: Duration = hangDeadline, line: UInt = #line) async throws {
        while try await receive(timeout: timeout, line: line) != nil {}
    }

    func close() async {
        try? await channel.channel.close()
        await reader.value
    }
}

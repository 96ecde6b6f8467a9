import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// One TCP/TLS connection of a client: a writer, a queue of packets written in the order queued,
/// and a reader task that forwards every inbound packet to `onPacket` until the connection ends.
final class MQTTClientConnection: Sendable {
    let id: UInt64
    let channel: any Channel
    private let writer: NIOAsyncChannelOutboundWriter<MQTTPacket>
    private let reader: Task<Void, Never>
    /// Packets queued and not yet handed to the writer, and whether a task is handing them.
    private let queue = Mutex<(packets: [MQTTPacket], draining: Bool)>(([], false))

    private init(
        id: UInt64,
        channel: any Channel,
        writer: NIOAsyncChannelOutboundWriter<MQTTPacket>,
        reader: Task<Void, Never>
    ) {
        self.id = id
        self.channel = channel
        self.writer = writer
        self.reader = reader
    }

    static func open(
        id: UInt64,
        configuration: MQTTClientConfiguration,
        group: any EventLoopGroup,
        onPacket: @escaping @Sendable (MQTTPacket) async -> Void,
        onClose: @escaping @Sendable () async -> Void
    ) async throws -> MQTTClientConnection {
        let sslContext = try configuration.tls.map { try NIOSSLContext(configuration: $0) }
        let serverName = configuration.tlsServerName ?? configuration.host
        let keepAlive = configuration.keepAlive
        let maximumPacketSize = configuration.maximumPacketSize
        let asyncChannel = try await ClientBootstrap(group: group)
            .connectTimeout(configuration.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let sslContext {
                        let hostname = serverName.first?.isNumber == true || serverName.contains(":") ? nil : serverName
                        try sync.addHandler(try NIOSSLClientHandler(context: sslContext, serverHostname: hostname))
                    }
                    try sync.addHandler(ByteToMessageHandler(MQTTPacketDecoder(maximumPacketSize: maximumPacketSize)))
                    try sync.addHandler(MessageToByteHandler(MQTTPacketEncoder()))
                    if keepAlive > 0 {
                        // Ping after three quarters of an idle period of writing (a late timer on a
                        // busy device still lands inside the broker's 1.5× grace); suspect the link
                        // only after two periods of silence, so a ping just sent is never mistaken
                        // for an unanswered one.
                        let period = TimeAmount.seconds(Int64(keepAlive))
                        try sync.addHandler(
                            IdleStateHandler(
                                readTimeout: period * 2,
                                writeTimeout: .milliseconds(Int64(keepAlive) * 750)
                            )
                        )
                        try sync.addHandler(MQTTClientKeepAliveHandler())
                    }
                    return try NIOAsyncChannel<MQTTPacket, MQTTPacket>(wrappingChannelSynchronously: channel)
                }
            }
        let (writers, writerContinuation) = AsyncStream.makeStream(of: NIOAsyncChannelOutboundWriter<MQTTPacket>.self)
        let reader = Task {
            _ = try? await asyncChannel.executeThenClose { inbound, outbound in
                writerContinuation.yield(outbound)
                writerContinuation.finish()
                do {
                    for try await packet in inbound { await onPacket(packet) }
                } catch {
                    // A protocol violation or a reset: the connection is over either way.
                }
            }
            writerContinuation.finish()
            await onClose()
        }
        var iterator = writers.makeAsyncIterator()
        guard let writer = await iterator.next() else {
            await reader.value
            throw MQTTClientError.connectionClosed
        }
        return MQTTClientConnection(id: id, channel: asyncChannel.channel, writer: writer, reader: reader)
    }

    /// Queues a packet without waiting: queued packets go out in the order queued (QoS 1
    /// publishes in the order published, MQTT 3.1.1 §4.6), after what `write` wrote before. One
    /// task at a time hands the queue to the writer, all that is waiting in one write.
    func send(_ packet: MQTTPacket) {
        let start = queue.withLock { queue in
            queue.packets.append(packet)
            defer { queue.draining = true }
            return !queue.draining
        }
        guard start else { return }
        Task {
            while true {
                let packets = queue.withLock { queue in
                    defer { queue.packets = [] }
                    queue.draining = !queue.packets.isEmpty
                    return queue.packets
                }
                guard !packets.isEmpty else { return }
                // A failed write means the connection is ending; its close resends what must go again.
                try? await writer.write(contentsOf: packets)
            }
        }
    }

    func write(_ packet: MQTTPacket) async throws {
        try await writer.write(packet)
    }

    func write(contentsOf packets: [MQTTPacket]) async throws {
        try await writer.write(contentsOf: packets)
    }

    func close() async {
        try? await channel.close()
        await reader.value
    }

    /// Returns when the connection has ended and its close was reported.
    func closed() async {
        await reader.value
    }
}

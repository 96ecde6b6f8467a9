import NIOCore
import NIOPosix
import NIOSSL

/// One TCP/TLS connection of a client: a writer, a queue of packets written in the order queued,
/// and a reader task that forwards every inbound packet to `onPacket` until the connection ends.
final class MQTTClientConnection: Sendable {
    let id: UInt64
    let channel: any Channel
    private let writer: NIOAsyncChannelOutboundWriter<MQTTPacket>
    private let queue: AsyncStream<MQTTPacket>.Continuation
    private let reader: Task<Void, Never>

    private init(
        id: UInt64,
        channel: any Channel,
        writer: NIOAsyncChannelOutboundWriter<MQTTPacket>,
        queue: AsyncStream<MQTTPacket>.Continuation,
        reader: Task<Void, Never>
    ) {
        self.id = id
        self.channel = channel
        self.writer = writer
        self.queue = queue
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
        let (queued, queue) = AsyncStream.makeStream(of: MQTTPacket.self)
        let reader = Task {
            _ = try? await asyncChannel.executeThenClose { inbound, outbound in
                writerContinuation.yield(outbound)
                writerContinuation.finish()
                await withDiscardingTaskGroup { group in
                    group.addTask {
                        for await packet in queued { try? await outbound.write(packet) }
                    }
                    do {
                        for try await packet in inbound { await onPacket(packet) }
                    } catch {
                        // A protocol violation or a reset: the connection is over either way.
                    }
                    queue.finish()
                }
            }
            writerContinuation.finish()
            queue.finish()
            await onClose()
        }
        var iterator = writers.makeAsyncIterator()
        guard let writer = await iterator.next() else {
            await reader.value
            throw MQTTClientError.connectionClosed
        }
        return MQTTClientConnection(id: id, channel: asyncChannel.channel, writer: writer, queue: queue, reader: reader)
    }

    /// Queues a packet without waiting: queued packets go out in the order queued (QoS 1
    /// publishes in the order published, MQTT 3.1.1 §4.6), after what `write` wrote before.
    func send(_ packet: MQTTPacket) {
        queue.yield(packet)
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

import NIOCore
import NIOPosix

/// The least an MQTT listener on NIO can do for a lone QoS 1 publish: one handler reads bytes and
/// answers CONNECT, PUBLISH and PINGREQ with bytes. No codec, session, ACL, keep-alive, sequencer
/// or delegate: a reference for what the listener's own work costs on this machine, not a listener.
enum MQTTFloorListener {
    static func start(
        port: Int = 0,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Responder())
                }
            }
            .bind(host: "127.0.0.1", port: port)
            .get()
    }

    final class Responder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        private var pending = ByteBuffer()

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var incoming = unwrapInboundIn(data)
            pending.writeBuffer(&incoming)
            var answers = context.channel.allocator.buffer(capacity: 4)
            while let (type, body) = Self.nextPacket(&pending) {
                Self.answer(type: type, body: body, into: &answers)
            }
            pending.discardReadBytes()
            if answers.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(answers), promise: nil) }
        }

        /// The next whole packet's type and body, or nil (nothing consumed) when it is incomplete.
        static func nextPacket(_ buffer: inout ByteBuffer) -> (UInt8, ByteBuffer)? {
            let start = buffer.readerIndex
            guard let type = buffer.readInteger(as: UInt8.self) else { return nil }
            var length = 0
            for shift in stride(from: 0, to: 28, by: 7) {
                guard let byte = buffer.readInteger(as: UInt8.self) else { break }
                length |= Int(byte & 0x7F) << shift
                guard byte & 0x80 != 0 else {
                    if let body = buffer.readSlice(length: length) { return (type >> 4, body) }
                    break
                }
            }
            buffer.moveReaderIndex(to: start)
            return nil
        }

        static func answer(type: UInt8, body: ByteBuffer, into answers: inout ByteBuffer) {
            var body = body
            switch type {
            case 1: answers.writeBytes([0x20, 2, 0, 0])
            case 3:
                guard let topicLength = body.readInteger(as: UInt16.self),
                    body.readSlice(length: Int(topicLength)) != nil,
                    let packetID = body.readInteger(as: UInt16.self)
                else { return }
                answers.writeBytes([0x40, 2])
                answers.writeInteger(packetID)
            case 12: answers.writeBytes([0xD0, 0])
            default: break
            }
        }
    }
}

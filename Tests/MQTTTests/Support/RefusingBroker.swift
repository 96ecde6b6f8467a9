import MQTT
import NIOCore
import NIOPosix

/// A broker that answers every CONNECT with a refusing CONNACK and closes the connection in the
/// same event-loop tick, the tightest race a client can meet. With `reset`, the close is an RST
/// (SO_LINGER 0) instead of a FIN.
struct RefusingBroker {
    let channel: any Channel
    var port: Int { channel.localAddress?.port ?? 0 }

    static func start(code: MQTTPacket.ConnectReturnCode, reset: Bool) async throws -> RefusingBroker {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let lingering: EventLoopFuture<Void> =
                    reset
                    ? (channel as! any SocketOptionProvider).setSoLinger(linger(l_onoff: 1, l_linger: 0))
                    : channel.eventLoop.makeSucceededVoidFuture()
                return lingering.flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(MQTTPacketDecoder()), MessageToByteHandler(MQTTPacketEncoder()),
                        Refuser(code: code),
                    ])
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return RefusingBroker(channel: channel)
    }

    func stop() async {
        try? await channel.close()
    }

    final class Refuser: ChannelInboundHandler, Sendable {
        typealias InboundIn = MQTTPacket
        typealias OutboundOut = MQTTPacket
        let code: MQTTPacket.ConnectReturnCode

        init(code: MQTTPacket.ConnectReturnCode) { self.code = code }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .connect = unwrapInboundIn(data) else { return }
            context.writeAndFlush(
                wrapOutboundOut(.connack(.init(sessionPresent: false, returnCode: code))),
                promise: nil
            )
            context.close(promise: nil)
        }
    }
}

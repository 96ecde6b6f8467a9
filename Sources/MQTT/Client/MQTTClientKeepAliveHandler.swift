import NIOCore

/// The client side of keep-alive: sends PINGREQ when nothing was written for the keep-alive
/// period, and closes the connection when the broker stays silent while a ping is outstanding.
/// It starts with the CONNACK: until then the connect timeout governs, and a slow broker must
/// not be mistaken for a dead one.
final class MQTTClientKeepAliveHandler: ChannelDuplexHandler {
    typealias InboundIn = MQTTPacket
    typealias InboundOut = MQTTPacket
    typealias OutboundIn = MQTTPacket
    typealias OutboundOut = MQTTPacket

    private var pingOutstanding = false
    private var sessionUp = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pingOutstanding = false
        switch unwrapInboundIn(data) {
        case .pingresp: return
        case .connack: sessionUp = true
        default: break
        }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let idle = event as? IdleStateHandler.IdleStateEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        guard sessionUp else { return }
        switch idle {
        case .read where pingOutstanding:
            context.close(promise: nil)
        case .read, .write:
            if !pingOutstanding {
                pingOutstanding = true
                context.writeAndFlush(wrapOutboundOut(.pingreq), promise: nil)
            }
        case .all:
            break
        }
    }
}

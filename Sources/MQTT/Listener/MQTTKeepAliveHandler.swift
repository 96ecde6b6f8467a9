import NIOCore

/// The keep-alive concern of a server connection: closes a connection that sends no CONNECT
/// within `connectTimeout`, or nothing at all for 1.5× its keep-alive (§3.1.2.10, counted from the
/// last packet it sent or, at the start, from its CONNACK) or, when it asked for none, for
/// `maximumIdle`; and answers
/// PINGREQ itself so pings are answered even while a slow PUBLISH is being handled.
final class MQTTKeepAliveHandler: ChannelDuplexHandler {
    typealias InboundIn = MQTTPacket
    typealias InboundOut = MQTTPacket
    typealias OutboundIn = MQTTPacket
    typealias OutboundOut = MQTTPacket

    private let connectTimeout: TimeAmount
    private let maximumIdle: TimeAmount
    private var limit: TimeAmount?
    private var lastRead = NIODeadline.uptimeNanoseconds(0)
    private var connected = false
    private var timer: Scheduled<Void>?

    init(connectTimeout: TimeAmount, maximumIdle: TimeAmount) {
        self.connectTimeout = connectTimeout
        self.maximumIdle = maximumIdle
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { armConnectTimeout(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        armConnectTimeout(context: context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastRead = context.eventLoop.now
        let packet = unwrapInboundIn(data)
        switch packet {
        case .connect(let connect) where !connected:
            connected = true
            timer?.cancel()
            // 1.5 × keep-alive, in milliseconds to keep the half second.
            limit = connect.keepAlive > 0 ? .milliseconds(Int64(connect.keepAlive) * 1_500) : maximumIdle
        case .pingreq where connected:
            context.writeAndFlush(wrapOutboundOut(.pingresp), promise: nil)
            return
        default:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .connack = unwrapOutboundIn(data), let limit {
            // The client's keep-alive runs from when it learns it is connected: the time the
            // server spent authenticating (long on a busy machine) must not count against it, so
            // the idle timer starts here rather than at CONNECT.
            lastRead = context.eventLoop.now
            schedule(context: context, after: limit)
        }
        context.write(data, promise: promise)
    }

    private func armConnectTimeout(context: ChannelHandlerContext) {
        guard timer == nil, !connected else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: connectTimeout) {
            if !self.connected { context.close(promise: nil) }
        }
    }

    private func schedule(context: ChannelHandlerContext, after delay: TimeAmount) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
            guard let limit = self.limit else { return }
            let idle = context.eventLoop.now - self.lastRead
            if idle >= limit {
                context.close(promise: nil)
            } else {
                self.schedule(context: context, after: limit - idle)
            }
        }
    }
}

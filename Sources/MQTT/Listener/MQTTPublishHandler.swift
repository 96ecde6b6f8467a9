import NIOCore

/// The publish concern of a listener connection, on its event loop: checks each PUBLISH against
/// the session's topic ACL, tracks QoS 2 packet ids, answers PUBREL, and hands messages to the
/// connection's `MQTTPublishSequencer`. Every other packet goes on to the connection's task.
///
/// Packets after CONNECT are held until the connection's task accepted the session and sent
/// `Activate` (a client may publish before its CONNACK arrives); a refused CONNECT closes the
/// connection and they are dropped unhandled, so unacknowledged. A client that closes before
/// `Activate` still has its other packets handled (`channelInactive`).
final class MQTTPublishHandler: ChannelDuplexHandler {
    typealias InboundIn = MQTTPacket
    typealias InboundOut = MQTTPacket
    typealias OutboundIn = MQTTPacket
    typealias OutboundOut = MQTTPacket

    /// The outbound event that starts handling publishes, once the session is accepted.
    struct Activate: Sendable {
        var session: MQTTSessionInfo
    }

    private enum Phase {
        case awaitingConnect
        case awaitingSession
        case active(MQTTSessionInfo)
        /// A forbidden PUBLISH: the connection closes and nothing after it is handled.
        case denied
    }

    private let sequencer: MQTTPublishSequencer
    private let acl: any MQTTTopicACL
    private let delegate: any MQTTListenerDelegate
    private var phase = Phase.awaitingConnect
    /// Packets read but not yet handled: before activation, and behind a PUBLISH that found the
    /// sequencer full.
    private var backlog = CircularBuffer<MQTTPacket>()
    private var readHeld = false
    private var exactlyOnceInFlight = Set<UInt16>()

    init(sequencer: MQTTPublishSequencer, acl: any MQTTTopicACL, delegate: any MQTTListenerDelegate) {
        self.sequencer = sequencer
        self.acl = acl
        self.delegate = delegate
    }

    func handlerAdded(context: ChannelHandlerContext) {
        sequencer.attach(context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        sequencer.attach(nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let packet = unwrapInboundIn(data)
        switch phase {
        case .awaitingConnect:
            if case .connect = packet { phase = .awaitingSession }
            context.fireChannelRead(data)
        case .awaitingSession:
            backlog.append(packet)
        case .active(let session):
            if backlog.isEmpty, !Self.waits(packet, on: sequencer) {
                handle(packet, session: session, context: context)
            } else {
                backlog.append(packet)
            }
        case .denied:
            break
        }
    }

    /// The client closed: what it sent before closing still counts (a PUBACK of a downlink, say),
    /// so held packets go on before the close does. Without a session yet, PUBLISHes and PUBRELs
    /// are dropped unhandled (unacknowledged, so sent again); with one, they are taken whatever
    /// the sequencer holds, since no further read is coming.
    func channelInactive(context: ChannelHandlerContext) {
        switch phase {
        case .awaitingSession:
            while let packet = backlog.popFirst() {
                switch packet {
                case .publish, .pubrel: continue
                default: context.fireChannelRead(wrapInboundOut(packet))
                }
            }
        case .active:
            handleBacklog(context: context, evenWhenFull: true)
        case .awaitingConnect, .denied:
            break
        }
        backlog.removeAll()
        context.fireChannelInactive()
    }

    /// Reads on only while the sequencer has room; the sequencer asks for a read when it has
    /// room again, which first handles the backlog.
    func read(context: ChannelHandlerContext) {
        readHeld = true
        resume(context: context)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let activate = event as? Activate else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        if case .awaitingSession = phase { phase = .active(activate.session) }
        promise?.succeed()
        resume(context: context)
    }

    private static func waits(_ packet: MQTTPacket, on sequencer: MQTTPublishSequencer) -> Bool {
        guard case .publish = packet else { return false }
        return sequencer.isFull()
    }

    private func resume(context: ChannelHandlerContext) {
        switch phase {
        case .awaitingSession:
            return
        case .active:
            if handleBacklog(context: context, evenWhenFull: false) { context.fireChannelReadComplete() }
            guard backlog.isEmpty, !sequencer.isFull() else { return }
        case .awaitingConnect, .denied:
            break
        }
        if readHeld {
            readHeld = false
            context.read()
        }
    }

    /// Handles held packets in order while the session is active: a forbidden PUBLISH ends it,
    /// and nothing after it is handled. Unless `evenWhenFull`, stops at a PUBLISH that finds the
    /// sequencer full. Whether it handled any.
    @discardableResult
    private func handleBacklog(context: ChannelHandlerContext, evenWhenFull: Bool) -> Bool {
        var handled = false
        while case .active(let session) = phase, let packet = backlog.first,
            evenWhenFull || !Self.waits(packet, on: sequencer)
        {
            backlog.removeFirst()
            handle(packet, session: session, context: context)
            handled = true
        }
        return handled
    }

    private func handle(_ packet: MQTTPacket, session: MQTTSessionInfo, context: ChannelHandlerContext) {
        switch packet {
        case .publish(let publish):
            guard acl.canPublish(session.principal, topic: publish.topic) else {
                deny(publish.topic, session: session, channel: context.channel)
                return
            }
            let message = MQTTInboundPublish(
                topic: publish.topic,
                payload: publish.payload,
                qos: publish.qos,
                retain: publish.retain,
                dup: publish.dup
            )
            // PUBACK (PUBREC) only after the message is handled; a repeated QoS 2 message is only
            // acknowledged again.
            let acknowledgement: MQTTPacket?
            var isNew = true
            switch publish.qos {
            case .atMostOnce: acknowledgement = nil
            case .atLeastOnce: acknowledgement = .puback(packetID: publish.packetID!)
            case .exactlyOnce:
                acknowledgement = .pubrec(packetID: publish.packetID!)
                isNew = exactlyOnceInFlight.insert(publish.packetID!).inserted
            }
            let delegate = delegate
            let handling: MQTTPublishSequencer.Handling =
                if !isNew {
                    .none
                } else if delegate.preparesAhead(message) {
                    .prepare { await delegate.mqttListener(prepare: message, from: session) }
                } else {
                    .commit { try await delegate.mqttListener(didReceive: message, from: session) }
                }
            sequencer.enqueue(acknowledgement: acknowledgement, handling: handling)
        case .pubrel(let id):
            exactlyOnceInFlight.remove(id)
            context.writeAndFlush(wrapOutboundOut(.pubcomp(packetID: id)), promise: nil)
        default:
            context.fireChannelRead(wrapInboundOut(packet))
        }
    }

    /// Reports the denial, then closes; messages before it still commit.
    private func deny(_ topic: String, session: MQTTSessionInfo, channel: any Channel) {
        phase = .denied
        let delegate = delegate
        Task {
            await delegate.mqttListener(didDeny: .init(action: .publish, topic: topic), session: session)
            try? await channel.close()
        }
    }
}

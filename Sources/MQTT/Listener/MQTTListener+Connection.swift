import NIOCore
import NIOSSL

extension MQTTListener {
    /// Runs one client connection from CONNECT to close. Its PUBLISHes and PUBRELs are handled
    /// on the event loop (`MQTTPublishHandler`); every other packet comes here.
    func serve(_ connection: NIOAsyncChannel<MQTTPacket, MQTTPacket>, publishes: MQTTPublishSequencer) async {
        let channel = connection.channel
        try? await connection.executeThenClose { inbound, outbound in
            var packets = inbound.makeAsyncIterator()
            guard case .connect(let connect)? = try await packets.next() else { return }
            guard let session = try await accept(connect, channel: channel, outbound: outbound) else { return }
            await delegate.mqttListener(didConnect: session)
            // Fails when the client has closed meanwhile: the packets it sent before closing come
            // through all the same (`MQTTPublishHandler.channelInactive`).
            try? await channel.triggerUserOutboundEvent(MQTTPublishHandler.Activate(session: session)).get()
            do {
                while let packet = try await packets.next() {
                    guard try await handle(packet, session: session, outbound: outbound) else { break }
                }
            } catch {
                // A protocol violation, a closed socket or a failed handler: the connection
                // ends; messages in hand still commit, their acknowledgements may not arrive.
            }
            await publishes.finish()
            await registry.detach(clientID: session.clientID, connectionID: session.connectionID)
            await delegate.mqttListener(didDisconnect: session)
        }
    }

    /// Answers CONNECT: checks the protocol, authenticates, attaches the session, sends CONNACK
    /// and any redeliveries. Nil when the connection must close.
    private func accept(
        _ connect: MQTTPacket.Connect,
        channel: any Channel,
        outbound: NIOAsyncChannelOutboundWriter<MQTTPacket>
    ) async throws -> MQTTSessionInfo? {
        func refuse(_ code: MQTTPacket.ConnectReturnCode) async throws -> MQTTSessionInfo? {
            try await outbound.write(.connack(.init(sessionPresent: false, returnCode: code)))
            return nil
        }
        guard connect.protocolName == "MQTT", connect.protocolLevel == 4 else {
            return try await refuse(.unacceptableProtocolVersion)
        }
        guard !connect.clientID.isEmpty else { return try await refuse(.identifierRejected) }
        let usesTLS = configuration.tls != nil
        let certificate = usesTLS ? try? await channel.nioSSL_peerCertificate().get() : nil
        let request = MQTTConnectRequest(
            clientID: connect.clientID,
            username: connect.username,
            password: connect.password,
            certificateCommonName: certificate.flatMap(Self.commonName),
            certificateSerial: certificate?.serialNumber,
            remoteAddress: channel.remoteAddress?.description,
            remoteHost: channel.remoteAddress?.ipAddress,
            usesTLS: usesTLS
        )
        let principal: MQTTPrincipal
        switch await authenticator.authenticate(request) {
        case .accepted(let accepted): principal = accepted
        case .rejected(let code): return try await refuse(code)
        }
        let id = nextConnectionID()
        let handle = MQTTSessionRegistry.Connection(id: id, writer: outbound, channel: channel)
        let attached = await registry.attach(
            clientID: connect.clientID,
            cleanSession: connect.cleanSession,
            connection: handle
        )
        if let takenOver = attached.takenOver { try? await takenOver.channel.close() }
        // Attached: from here on the session is detached when the connection ends, however it ends.
        await Self.send(outbound, .connack(.init(sessionPresent: attached.sessionPresent, returnCode: .accepted)))
        for packet in attached.resend { await Self.send(outbound, packet) }
        return MQTTSessionInfo(
            principal: principal,
            connectionID: id,
            cleanSession: connect.cleanSession,
            remoteAddress: request.remoteAddress,
            usesTLS: usesTLS
        )
    }

    /// Handles one packet after CONNECT, other than PUBLISH and PUBREL; false when the connection
    /// must close.
    private func handle(
        _ packet: MQTTPacket,
        session: MQTTSessionInfo,
        outbound: NIOAsyncChannelOutboundWriter<MQTTPacket>
    ) async throws -> Bool {
        switch packet {
        case .puback(let id):
            if let acknowledged = await registry.acknowledge(clientID: session.clientID, packetID: id) {
                await acknowledged()
            }
        case .subscribe(let subscribe):
            var codes: [MQTTPacket.SubscribeReturnCode] = []
            var granted: [(String, QoS)] = []
            for subscription in subscribe.subscriptions {
                if acl.canSubscribe(session.principal, filter: subscription.topicFilter) {
                    let qos = min(subscription.qos, .atLeastOnce)
                    codes.append(.granted(qos))
                    granted.append((subscription.topicFilter, qos))
                } else {
                    codes.append(.failure)
                    await delegate.mqttListener(
                        didDeny: .init(action: .subscribe, topic: subscription.topicFilter),
                        session: session
                    )
                }
            }
            let deliveries = await registry.subscribe(clientID: session.clientID, granted: granted)
            await Self.send(outbound, .suback(.init(packetID: subscribe.packetID, returnCodes: codes)))
            for delivery in deliveries { await Self.send(outbound, delivery) }
        case .unsubscribe(let unsubscribe):
            await registry.unsubscribe(clientID: session.clientID, filters: unsubscribe.topicFilters)
            await Self.send(outbound, .unsuback(packetID: unsubscribe.packetID))
        case .pingreq:
            await Self.send(outbound, .pingresp)
        case .publish, .pubrel:
            // Handled on the event loop (`MQTTPublishHandler`), which does not pass them on.
            break
        case .disconnect:
            return false
        case .connect, .connack, .pubrec, .pubcomp, .suback, .unsuback, .pingresp:
            // A second CONNECT or a server-to-client packet: protocol violation (§4.8).
            return false
        }
        return true
    }

    /// Writes a response. A failed write means the peer is going away; reading goes on so that
    /// whatever it sent before closing (a PUBACK, say) is still processed.
    static func send(_ outbound: NIOAsyncChannelOutboundWriter<MQTTPacket>, _ packet: MQTTPacket) async {
        try? await outbound.write(packet)
    }

    /// The subject CN of the client's verified certificate.
    static func commonName(_ certificate: NIOSSLCertificate) -> String? {
        certificate.subjectName.last { $0.type == .commonName }?.value
    }
}

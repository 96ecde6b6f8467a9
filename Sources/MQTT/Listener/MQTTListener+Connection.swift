import NIOCore
import NIOSSL

extension MQTTListener {
    /// Runs one client connection from CONNECT to close.
    func serve(_ connection: NIOAsyncChannel<MQTTPacket, MQTTPacket>) async {
        let channel = connection.channel
        try? await connection.executeThenClose { inbound, outbound in
            var packets = inbound.makeAsyncIterator()
            guard case .connect(let connect)? = try await packets.next() else { return }
            guard let session = try await accept(connect, channel: channel, outbound: outbound) else { return }
            await delegate.mqttListener(didConnect: session)
            // Only a delegate with a first phase of its own has something to overlap.
            let publishes =
                delegate.preparesAhead ? MQTTPublishPipeline(depth: configuration.publishPipelineDepth) : nil
            await withDiscardingTaskGroup { group in
                if let publishes {
                    group.addTask { await publishes.commit(outbound: outbound, channel: channel) }
                }
                var slot = publishes?.makeSlotIterator()
                var exactlyOnceInFlight = Set<UInt16>()
                do {
                    while let packet = try await packets.next() {
                        guard
                            try await handle(
                                packet,
                                session: session,
                                outbound: outbound,
                                publishes: publishes,
                                slot: &slot,
                                exactlyOnce: &exactlyOnceInFlight
                            )
                        else { break }
                    }
                } catch {
                    // A protocol violation, a closed socket or a failed handler: the connection
                    // ends; messages in hand still commit, their acknowledgements may not arrive.
                }
                publishes?.finish()
            }
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
        try await outbound.write(.connack(.init(sessionPresent: attached.sessionPresent, returnCode: .accepted)))
        for packet in attached.resend { await Self.send(outbound, packet) }
        return MQTTSessionInfo(
            principal: principal,
            connectionID: id,
            cleanSession: connect.cleanSession,
            remoteAddress: request.remoteAddress,
            usesTLS: usesTLS
        )
    }

    /// Handles one packet after CONNECT; false when the connection must close.
    private func handle(
        _ packet: MQTTPacket,
        session: MQTTSessionInfo,
        outbound: NIOAsyncChannelOutboundWriter<MQTTPacket>,
        publishes: MQTTPublishPipeline?,
        slot: inout AsyncStream<Void>.Iterator?,
        exactlyOnce: inout Set<UInt16>
    ) async throws -> Bool {
        switch packet {
        case .publish(let publish):
            guard acl.canPublish(session.principal, topic: publish.topic) else {
                await delegate.mqttListener(didDeny: .init(action: .publish, topic: publish.topic), session: session)
                return false
            }
            let message = MQTTInboundPublish(
                topic: publish.topic,
                payload: publish.payload,
                qos: publish.qos,
                retain: publish.retain,
                dup: publish.dup
            )
            // PUBACK (PUBREC) only after the message is handled; a throw closes without it. A
            // repeated QoS 2 message is only acknowledged again.
            let acknowledgement: MQTTPacket?
            var isNew = true
            switch publish.qos {
            case .atMostOnce: acknowledgement = nil
            case .atLeastOnce: acknowledgement = .puback(packetID: publish.packetID!)
            case .exactlyOnce:
                acknowledgement = .pubrec(packetID: publish.packetID!)
                isNew = exactlyOnce.insert(publish.packetID!).inserted
            }
            guard let publishes, var waiting = slot else {
                if isNew { try await delegate.mqttListener(didReceive: message, from: session) }
                if let acknowledgement { await Self.send(outbound, acknowledgement) }
                return true
            }
            let delegate = delegate
            var prepare: (@Sendable () async -> MQTTPublishCommit)?
            if isNew { prepare = { @Sendable in await delegate.mqttListener(prepare: message, from: session) } }
            defer { slot = waiting }
            return await publishes.enqueue(acknowledgement: acknowledgement, prepare: prepare, slot: &waiting)
        case .pubrel(let id):
            exactlyOnce.remove(id)
            await Self.send(outbound, .pubcomp(packetID: id))
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

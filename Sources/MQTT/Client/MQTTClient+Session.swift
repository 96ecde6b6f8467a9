import NIOCore

extension MQTTClient {
    /// One connection attempt: TCP/TLS, CONNECT, CONNACK, then session restore. Returns
    /// `sessionPresent`. Throws `connectionRefused` with the broker's code, or a transport error.
    @discardableResult
    public func connect() async throws -> Bool {
        guard state != .shutDown else { throw MQTTClientError.shutdown }
        if case .connected(let present) = state { return present }
        state = .connecting
        nextConnectionID += 1
        let id = nextConnectionID
        let connection: MQTTClientConnection
        do {
            connection = try await MQTTClientConnection.open(
                id: id,
                configuration: configuration,
                group: group,
                onPacket: { [weak self] packet in await self?.receive(packet, connectionID: id) },
                onClose: { [weak self] in await self?.connectionEnded(connectionID: id) }
            )
        } catch {
            if state == .connecting { state = .disconnected }
            lastError = .connectionClosed
            connectionEventsContinuation.yield(.failed("\(error)"))
            throw error
        }
        guard state == .connecting else {
            await connection.close()
            throw state == .shutDown ? MQTTClientError.shutdown : MQTTClientError.connectionClosed
        }
        self.connection = connection
        let connect = MQTTPacket.Connect(
            clientID: configuration.clientID,
            cleanSession: configuration.cleanSession,
            keepAlive: configuration.keepAlive,
            username: configuration.username,
            password: configuration.password.map { ByteBuffer(bytes: $0) }
        )
        let ack: MQTTPacket.ConnAck
        do {
            ack = try await withCheckedThrowingContinuation { continuation in
                connackWaiter = (id, continuation)
                Task {
                    do {
                        try await connection.write(.connect(connect))
                    } catch {
                        self.failConnack(connectionID: id, error: MQTTClientError.connectionClosed)
                    }
                }
                let timeout = configuration.connectTimeout
                Task {
                    try? await Task.sleep(for: .nanoseconds(timeout.nanoseconds))
                    self.failConnack(connectionID: id, error: MQTTClientError.connectTimeout)
                }
            }
        } catch {
            await connection.close()
            lastError = error as? MQTTClientError ?? .connectionClosed
            connectionEventsContinuation.yield(.failed("\(error)"))
            throw error
        }
        guard ack.returnCode == .accepted else {
            await connection.close()
            lastError = .connectionRefused(ack.returnCode)
            connectionEventsContinuation.yield(.refused(ack.returnCode))
            throw MQTTClientError.connectionRefused(ack.returnCode)
        }
        guard self.connection?.id == id, state == .connecting else {
            // Shut down (or superseded) while connecting: this connection must not stay open,
            // pinging on its own, with nobody using it.
            await connection.close()
            throw state == .shutDown ? MQTTClientError.shutdown : MQTTClientError.connectionClosed
        }
        try await restoreSession(present: ack.sessionPresent, on: connection)
        state = .connected(sessionPresent: ack.sessionPresent)
        lastError = nil
        connectionEventsContinuation.yield(.connected(sessionPresent: ack.sessionPresent))
        return ack.sessionPresent
    }

    /// After CONNACK: re-subscribe when the session is gone, then resend unacknowledged
    /// publishes in their original order — DUP=1 with the same ids when the broker kept the
    /// session, as fresh publishes when it did not.
    ///
    /// A write suspends and frees the actor, and the client is not `connected` yet, so a publish
    /// made meanwhile joins the inflight table unsent. Each round writes every unsent publish in
    /// one call, so a round's suspension is short and the rounds end even while publishers keep
    /// adding; writing them one by one could trail a busy publisher for ever.
    private func restoreSession(present: Bool, on connection: MQTTClientConnection) async throws {
        if !present, !subscriptions.isEmpty, let id = allocatePacketID() {
            // The SUBACK needs no waiter: the grants were already accepted once.
            let restored = subscriptions.map { MQTTPacket.Subscription(topicFilter: $0.key, qos: $0.value) }
            try await connection.write(.subscribe(.init(packetID: id, subscriptions: restored)))
        }
        let queuedEarlier = Set(inflightOrder)
        var written: Set<UInt16> = []
        while true {
            let round = inflightOrder.filter { !written.contains($0) }
            guard !round.isEmpty else { return }
            written.formUnion(round)
            let packets = round.compactMap { id -> MQTTPacket? in
                guard var publish = inflight[id]?.publish else { return nil }
                publish.dup = present && queuedEarlier.contains(id)
                return .publish(publish)
            }
            try await connection.write(contentsOf: packets)
        }
    }

    private func failConnack(connectionID: UInt64, error: any Error) {
        guard let waiter = connackWaiter, waiter.connectionID == connectionID else { return }
        connackWaiter = nil
        waiter.continuation.resume(throwing: error)
    }

    func receive(_ packet: MQTTPacket, connectionID: UInt64) async {
        guard connection?.id == connectionID else { return }
        switch packet {
        case .connack(let ack):
            guard let waiter = connackWaiter, waiter.connectionID == connectionID else { return }
            connackWaiter = nil
            waiter.continuation.resume(returning: ack)
        case .puback(let id):
            guard let outgoing = inflight.removeValue(forKey: id) else { return }
            inflightOrder.removeAll { $0 == id }
            outgoing.continuation?.resume()
        case .suback(let suback):
            pendingSubscribes.removeValue(forKey: suback.packetID)?.resume(returning: suback.returnCodes)
        case .unsuback(let id):
            pendingUnsubscribes.removeValue(forKey: id)?.resume()
        case .publish(let publish):
            messagesContinuation.yield(
                MQTTMessage(
                    topic: publish.topic,
                    payload: publish.payload,
                    qos: publish.qos,
                    retain: publish.retain,
                    dup: publish.dup,
                    packetID: publish.packetID,
                    client: self
                )
            )
        case .pubrel(let id):
            try? await connection?.write(.pubcomp(packetID: id))
        default:
            // Anything else from a broker is a protocol violation: drop the connection.
            await connection?.close()
        }
    }

    func connectionEnded(connectionID: UInt64) {
        guard connection?.id == connectionID else { return }
        connection = nil
        if case .connected = state { connectionEventsContinuation.yield(.lost) }
        failConnack(connectionID: connectionID, error: MQTTClientError.connectionClosed)
        // SUBSCRIBE/UNSUBSCRIBE in progress cannot complete on another connection, nor can a
        // publish made for this one only.
        failPending(MQTTClientError.connectionClosed, includingInflight: false)
        for (id, outgoing) in inflight where outgoing.onlyOn == connectionID {
            abandon(packetID: id, error: MQTTClientError.connectionClosed)
        }
        if state != .shutDown { state = .disconnected }
    }
}

import NIOCore

/// A QoS 1 message for a client, waiting for delivery or for its PUBACK.
struct Downlink: Sendable {
    var topic: String
    var payload: ByteBuffer
    var acknowledged: (@Sendable () async -> Void)?
}

/// The listener's sessions (MQTT §3.1.2.4): subscriptions and QoS 1 downlinks of every client id,
/// kept across disconnects for `clean_session = false` clients, and which connection currently
/// owns each one. Packets to write are returned to the caller, which writes them outside the actor.
actor MQTTSessionRegistry {
    /// A live connection's handle: how to write to it and how to close it.
    struct Connection: Sendable {
        var id: UInt64
        var writer: NIOAsyncChannelOutboundWriter<MQTTPacket>
        var channel: any Channel
    }

    struct Session {
        var cleanSession: Bool
        var subscriptions: [String: QoS] = [:]
        /// Not yet sent (no matching subscription, or offline).
        var queued: [Downlink] = []
        /// Sent, awaiting PUBACK, in send order.
        var inflight: [(packetID: UInt16, downlink: Downlink)] = []
        var lastPacketID: UInt16 = 0
        var connection: Connection?
    }

    /// Queued downlinks kept per offline session; older ones beyond this are dropped (the
    /// application's outbox, not this queue, is the durable record).
    let maximumQueuedPerSession: Int
    private var sessions: [String: Session] = [:]

    init(maximumQueuedPerSession: Int = 10_000) {
        self.maximumQueuedPerSession = maximumQueuedPerSession
    }

    /// Binds a new connection to the client's session. Returns whether a session was present,
    /// the connection it takes over (to be closed), and the packets to send after CONNACK:
    /// unacknowledged downlinks again (DUP=1, same ids, in order) and queued ones now deliverable.
    func attach(
        clientID: String,
        cleanSession: Bool,
        connection: Connection
    )
        -> (sessionPresent: Bool, takenOver: Connection?, resend: [MQTTPacket])
    {
        let previous = sessions[clientID]
        let takenOver = previous?.connection
        if cleanSession || previous == nil {
            sessions[clientID] = Session(cleanSession: cleanSession, connection: connection)
            return (false, takenOver, [])
        }
        var session = previous!
        session.cleanSession = false
        session.connection = connection
        var packets = session.inflight.map { entry in
            MQTTPacket.publish(
                .init(
                    topic: entry.downlink.topic,
                    payload: entry.downlink.payload,
                    qos: .atLeastOnce,
                    dup: true,
                    packetID: entry.packetID
                )
            )
        }
        packets += deliverQueued(&session)
        sessions[clientID] = session
        return (true, takenOver, packets)
    }

    /// Unbinds a connection that ended. A clean session is discarded; a persistent one stays.
    func detach(clientID: String, connectionID: UInt64) {
        guard var session = sessions[clientID], session.connection?.id == connectionID else { return }
        if session.cleanSession {
            sessions[clientID] = nil
        } else {
            session.connection = nil
            sessions[clientID] = session
        }
    }

    /// Records granted subscriptions; returns queued downlinks they make deliverable.
    func subscribe(clientID: String, granted: [(String, QoS)]) -> [MQTTPacket] {
        guard var session = sessions[clientID] else { return [] }
        for (filter, qos) in granted { session.subscriptions[filter] = qos }
        let packets = deliverQueued(&session)
        sessions[clientID] = session
        return packets
    }

    func unsubscribe(clientID: String, filters: [String]) {
        for filter in filters { sessions[clientID]?.subscriptions[filter] = nil }
    }

    /// A PUBACK for a downlink: removes it from flight and returns its callback.
    func acknowledge(clientID: String, packetID: UInt16) -> (@Sendable () async -> Void)? {
        guard var session = sessions[clientID],
            let index = session.inflight.firstIndex(where: { $0.packetID == packetID })
        else { return nil }
        let entry = session.inflight.remove(at: index)
        sessions[clientID] = session
        return entry.downlink.acknowledged
    }

    /// Queues a downlink; when the client is connected and subscribed, returns the connection and
    /// the PUBLISH to write now.
    func enqueue(clientID: String, downlink: Downlink) -> (Connection, MQTTPacket)? {
        var session = sessions[clientID] ?? Session(cleanSession: false)
        session.queued.append(downlink)
        if session.queued.count > maximumQueuedPerSession { session.queued.removeFirst() }
        var packet: MQTTPacket?
        if session.connection != nil { packet = deliverQueued(&session).first }
        sessions[clientID] = session
        guard let packet, let connection = session.connection else { return nil }
        return (connection, packet)
    }

    func connection(clientID: String) -> Connection? {
        sessions[clientID]?.connection
    }

    /// Counts for diagnostics and tests.
    func pendingCounts(clientID: String) -> (queued: Int, inflight: Int) {
        (sessions[clientID]?.queued.count ?? 0, sessions[clientID]?.inflight.count ?? 0)
    }

    /// Moves queued downlinks that match a subscription into flight and returns their PUBLISHes.
    private func deliverQueued(_ session: inout Session) -> [MQTTPacket] {
        guard session.connection != nil else { return [] }
        var packets: [MQTTPacket] = []
        var remaining: [Downlink] = []
        for downlink in session.queued {
            let subscribed = session.subscriptions.keys.contains {
                MQTTTopic.matches(filter: $0, topic: downlink.topic)
            }
            guard subscribed, let packetID = nextPacketID(&session) else {
                remaining.append(downlink)
                continue
            }
            session.inflight.append((packetID, downlink))
            packets.append(
                .publish(.init(topic: downlink.topic, payload: downlink.payload, qos: .atLeastOnce, packetID: packetID))
            )
        }
        session.queued = remaining
        return packets
    }

    /// The next packet id not in flight; nil when all 65,535 are in flight.
    private func nextPacketID(_ session: inout Session) -> UInt16? {
        guard session.inflight.count < Int(UInt16.max) else { return nil }
        let used = Set(session.inflight.map(\.packetID))
        repeat {
            session.lastPacketID = session.lastPacketID == UInt16.max ? 1 : session.lastPacketID + 1
        } while used.contains(session.lastPacketID)
        return session.lastPacketID
    }
}

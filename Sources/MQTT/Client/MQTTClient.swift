import NIOCore
import NIOPosix

/// An MQTT 3.1.1 client for devices and tools.
///
/// - QoS 1 publishes wait in an inflight table (ids never reused while in flight) until their
///   PUBACK; after a reconnect that finds the session present they are resent in order with
///   DUP=1 and the same ids, otherwise published afresh.
/// - `run()` keeps the connection up, reconnecting with the configured backoff; `connect()` makes
///   one attempt. Subscriptions are restored when a reconnect finds no session.
/// - Inbound messages arrive on `messages`; QoS 1 ones are acknowledged only when the consumer
///   calls `MQTTMessage.acknowledge()`.
public actor MQTTClient {
    public let configuration: MQTTClientConfiguration
    let group: any EventLoopGroup

    public enum State: Sendable, Hashable {
        case disconnected
        case connecting
        case connected(sessionPresent: Bool)
        case shutDown
    }

    public internal(set) var state: State = .disconnected
    /// The last connection failure, for status output.
    public internal(set) var lastError: MQTTClientError?
    /// Inbound messages, in arrival order.
    public nonisolated let messages: AsyncStream<MQTTMessage>
    let messagesContinuation: AsyncStream<MQTTMessage>.Continuation
    /// Every attempt's outcome and every loss of the connection (the latest 64 kept unread).
    public nonisolated let connectionEvents: AsyncStream<MQTTConnectionEvent>
    let connectionEventsContinuation: AsyncStream<MQTTConnectionEvent>.Continuation

    struct Outgoing {
        var publish: MQTTPacket.Publish
        var continuation: CheckedContinuation<Void, any Error>?
        /// The connection whose end withdraws the publish (`Resend.never`).
        var onlyOn: UInt64?
    }

    /// What becomes of an unacknowledged QoS 1 publish when its connection ends.
    public enum Resend: Sendable, Hashable {
        /// It goes again on the next connection (MQTT's rule, and the default).
        case onReconnect
        /// It fails with `connectionClosed` and is not sent again: for a payload made for this
        /// connection's broker (in an encoding it announced), which the caller makes afresh for
        /// the next one. Without a connection the publish fails at once with `notConnected`.
        case never
    }

    var connection: MQTTClientConnection?
    var nextConnectionID: UInt64 = 0
    var inflight: [UInt16: Outgoing] = [:]
    /// Inflight ids in the order they were first sent: the resend order.
    var inflightOrder: [UInt16] = []
    var pendingSubscribes: [UInt16: CheckedContinuation<[MQTTPacket.SubscribeReturnCode], any Error>] = [:]
    var pendingUnsubscribes: [UInt16: CheckedContinuation<Void, any Error>] = [:]
    var subscriptions: [String: QoS] = [:]
    var lastPacketID: UInt16 = 0
    var connackWaiter: (connectionID: UInt64, continuation: CheckedContinuation<MQTTPacket.ConnAck, any Error>)?

    public init(
        configuration: MQTTClientConfiguration,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.group = group
        (messages, messagesContinuation) = AsyncStream.makeStream(of: MQTTMessage.self)
        (connectionEvents, connectionEventsContinuation) = AsyncStream.makeStream(
            of: MQTTConnectionEvent.self,
            bufferingPolicy: .bufferingNewest(64)
        )
    }

    public var isConnected: Bool {
        if case .connected = state { return true }
        return false
    }

    /// Keeps the client connected until `shutdown()`: connects, waits for the connection to end,
    /// then retries after the policy's delay (reset after every successful connection).
    public func run() async {
        var attempt = 0
        while state != .shutDown {
            do {
                _ = try await connect()
                attempt = 0
                await connection?.closed()
            } catch {
                lastError = error as? MQTTClientError ?? .connectionClosed
            }
            guard state != .shutDown else { return }
            attempt += 1
            try? await Task.sleep(for: configuration.reconnect.delay(attempt: attempt))
        }
    }

    /// Waits until connected (or shut down); false after `timeout`.
    public func waitUntilConnected(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !isConnected {
            if state == .shutDown || ContinuousClock.now > deadline { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// Publishes a message. QoS 0 needs a live connection. QoS 1 returns once the broker
    /// acknowledged it, across reconnects unless `resend` is `.never`; cancelling the task gives
    /// up (it may still arrive).
    public func publish(
        topic: String,
        payload: ByteBuffer,
        qos: QoS = .atLeastOnce,
        retain: Bool = false,
        resend: Resend = .onReconnect
    ) async throws {
        guard state != .shutDown else { throw MQTTClientError.shutdown }
        guard MQTTTopic.isValidName(topic) else { throw MQTTProtocolError.invalidTopicName(topic) }
        if qos == .atMostOnce {
            guard let connection, isConnected else { throw MQTTClientError.notConnected }
            try await connection.write(
                .publish(.init(topic: topic, payload: payload, qos: .atMostOnce, retain: retain))
            )
            return
        }
        var onlyOn: UInt64?
        if resend == .never {
            guard let connection, isConnected else { throw MQTTClientError.notConnected }
            onlyOn = connection.id
        }
        guard let id = allocatePacketID() else { throw MQTTClientError.packetIDsExhausted }
        let publish = MQTTPacket.Publish(
            topic: topic,
            payload: payload,
            qos: .atLeastOnce,
            retain: retain,
            packetID: id
        )
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                inflight[id] = Outgoing(publish: publish, continuation: continuation, onlyOn: onlyOn)
                inflightOrder.append(id)
                if isConnected, let connection {
                    connection.send(.publish(publish))
                }
            }
        } onCancel: {
            Task { await self.abandon(packetID: id) }
        }
    }

    /// Subscribes and returns the broker's grant per filter (`.failure` is `0x80`). Remembered,
    /// and restored after a reconnect that finds no session.
    @discardableResult
    public func subscribe(_ subscriptions: [MQTTPacket.Subscription]) async throws -> [MQTTPacket.SubscribeReturnCode] {
        guard let connection, isConnected else { throw MQTTClientError.notConnected }
        guard let id = allocatePacketID() else { throw MQTTClientError.packetIDsExhausted }
        let codes = try await withCheckedThrowingContinuation { continuation in
            pendingSubscribes[id] = continuation
            connection.send(.subscribe(.init(packetID: id, subscriptions: subscriptions)))
        }
        for (subscription, code) in zip(subscriptions, codes) where code != .failure {
            self.subscriptions[subscription.topicFilter] = subscription.qos
        }
        return codes
    }

    public func unsubscribe(_ filters: [String]) async throws {
        guard let connection, isConnected else { throw MQTTClientError.notConnected }
        guard let id = allocatePacketID() else { throw MQTTClientError.packetIDsExhausted }
        for filter in filters { subscriptions[filter] = nil }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            pendingUnsubscribes[id] = continuation
            connection.send(.unsubscribe(.init(packetID: id, topicFilters: filters)))
        }
    }

    /// Sends DISCONNECT, closes the connection, ends `run()` and fails everything pending.
    public func shutdown() async {
        guard state != .shutDown else { return }
        state = .shutDown
        if let connection {
            try? await connection.write(.disconnect)
            await connection.close()
        }
        failPending(MQTTClientError.shutdown, includingInflight: true)
        messagesContinuation.finish()
        connectionEventsContinuation.finish()
    }

    /// Drops the connection without DISCONNECT, as a crash or a cut cable would: the broker keeps
    /// the session (and the will); `run()` reconnects.
    public func dropConnection() async {
        await connection?.close()
    }

    /// Number of QoS 1 publishes awaiting PUBACK.
    public var inflightCount: Int { inflight.count }

    func acknowledge(packetID: UInt16) async {
        guard isConnected, let connection else { return }
        try? await connection.write(.puback(packetID: packetID))
    }

    /// Forgets an inflight publish and fails its caller with `error`: it will not be sent again.
    func abandon(packetID: UInt16, error: any Error = CancellationError()) {
        guard let outgoing = inflight.removeValue(forKey: packetID) else { return }
        inflightOrder.removeAll { $0 == packetID }
        outgoing.continuation?.resume(throwing: error)
    }

    /// The next id not in flight and not awaiting a SUBACK/UNSUBACK; nil when all are taken.
    func allocatePacketID() -> UInt16? {
        let used = inflight.count + pendingSubscribes.count + pendingUnsubscribes.count
        guard used < Int(UInt16.max) else { return nil }
        repeat {
            lastPacketID = lastPacketID == UInt16.max ? 1 : lastPacketID + 1
        } while inflight[lastPacketID] != nil || pendingSubscribes[lastPacketID] != nil
            || pendingUnsubscribes[lastPacketID] != nil
        return lastPacketID
    }

    func failPending(_ error: any Error, includingInflight: Bool) {
        for continuation in pendingSubscribes.values { continuation.resume(throwing: error) }
        for continuation in pendingUnsubscribes.values { continuation.resume(throwing: error) }
        pendingSubscribes = [:]
        pendingUnsubscribes = [:]
        if includingInflight {
            for outgoing in inflight.values { outgoing.continuation?.resume(throwing: error) }
            inflight = [:]
            inflightOrder = []
        }
    }
}

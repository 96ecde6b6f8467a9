import MQTT
import NIOCore
import NIOPosix
import TestSupport
import Testing

@Suite("MQTT listener: protocol behaviour")
struct MQTTListenerTests {
    typealias H = ListenerHarness

    /// A connection still waiting for its CONNECT (so not in the session registry) is closed by a
    /// shutdown too: before, the accept task waited for it until the connect timeout, and a
    /// server stopping while a device was connecting could hang.
    @Test func shutdownClosesAConnectionStillInItsConnect() async throws {
        let harness = try await H.start(connectTimeout: .seconds(600))
        let quiet = try await harness.raw()
        let deadline = ContinuousClock.now + hangDeadline
        while harness.listener.openConnectionCount == 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(harness.listener.openConnectionCount == 1)
        // Whichever comes first; a shutdown that hangs is left behind instead of hanging the test.
        let (outcomes, outcome) = AsyncStream.makeStream(of: Bool.self)
        Task {
            await harness.stop()
            outcome.yield(true)
        }
        let timer = Task {
            try? await Task.sleep(for: hangDeadline)
            outcome.yield(false)
        }
        var iterator = outcomes.makeAsyncIterator()
        let stopped = await iterator.next() ?? false
        timer.cancel()
        #expect(stopped, "shutdown waited for a connection that never sent CONNECT")
        if stopped { try await quiet.waitUntilClosed() }
        await quiet.close()
    }

    /// Connections that arrive while the listener shuts down are closed with it, whether the
    /// accept loop took them or not. A connection made ready and dropped unclosed stopped the
    /// whole process (NIO's async writer checks that it was finished).
    @Test func shutdownAmidArrivingConnectionsClosesThemAll() async throws {
        for _ in 0..<20 {
            let harness = try await H.start()
            let clients = try await withThrowingTaskGroup(of: (any Channel)?.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                            .connect(host: "127.0.0.1", port: harness.port).get()
                    }
                }
                group.addTask {
                    await harness.stop()
                    return nil
                }
                var clients: [any Channel] = []
                for try await case let channel? in group { clients.append(channel) }
                return clients
            }
            #expect(harness.listener.openConnectionCount == 0)
            for client in clients { try? await client.close() }
        }
    }

    @Test func connackReturnCodes() async throws {
        try await H.with { open in
            let cases: [(MQTTPacket.Connect, MQTTPacket.ConnectReturnCode)] = [
                (.init(clientID: "dev-1", protocolLevel: 3), .unacceptableProtocolVersion),
                (.init(clientID: "dev-1", protocolName: "MQIsdp", protocolLevel: 3), .unacceptableProtocolVersion),
                (.init(clientID: ""), .identifierRejected),
                (.init(clientID: "bad-1"), .identifierRejected),
                (.init(clientID: "dev-1"), .accepted),
            ]
            for (connect, code) in cases {
                let connection = try await open.raw()
                #expect(try await connection.connect(connect)?.returnCode == code, "\(connect)")
                if code != .accepted { try await connection.waitUntilClosed() }
                await connection.close()
            }
        }
        try await H.with(authenticator: H.passwords) { secured in
            let passwordCases: [(MQTTPacket.Connect, MQTTPacket.ConnectReturnCode)] = [
                (.init(clientID: "dev-1"), .notAuthorized),
                (
                    .init(clientID: "dev-1", username: "dev-1", password: ByteBuffer(string: "wrong")),
                    .badUsernameOrPassword
                ),
                (
                    .init(clientID: "dev-1", username: "dev-2", password: ByteBuffer(string: "dev-2-secret")),
                    .badUsernameOrPassword
                ),
                (.init(clientID: "dev-1", username: "dev-1", password: ByteBuffer(string: "dev-1-secret")), .accepted),
            ]
            for (connect, code) in passwordCases {
                let connection = try await secured.raw()
                #expect(try await connection.connect(connect)?.returnCode == code)
                await connection.close()
            }
        }
    }

    @Test func sessionPresentFollowsCleanSession() async throws {
        try await H.with { harness in
            for (clean, expected) in [(false, false), (false, true), (true, false), (false, false)] {
                let connection = try await harness.raw()
                let ack = try await connection.connect(.init(clientID: "dev-1", cleanSession: clean))
                #expect(ack == .init(sessionPresent: expected, returnCode: .accepted), "clean=\(clean)")
                try await connection.send(.disconnect)
                try await connection.waitUntilClosed()
                await connection.close()
                _ = await harness.delegate.waitFor { $0.disconnects.count == $0.connects.count }
            }
        }
    }

    @Test func duplicateClientIDTakesOver() async throws {
        try await H.with { harness in
            let first = try await harness.raw()
            #expect(try await first.connect(.init(clientID: "dev-1"))?.returnCode == .accepted)
            let second = try await harness.raw()
            #expect(try await second.connect(.init(clientID: "dev-1"))?.returnCode == .accepted)
            try await first.waitUntilClosed()
            try await second.send(.pingreq)
            #expect(try await second.receive() == .pingresp)
            await first.close()
            await second.close()
        }
    }

    /// The listener closes a silent connection at 1.5× its keep-alive, never before; a pinging one
    /// stays open past that; one that never sends CONNECT goes at the connect timeout. The upper
    /// bounds only catch a listener that never closes: the timers run on NIO's event loop, but this
    /// test observes them from a pool that other suites may keep busy.
    @Test func keepAliveIsEnforcedAtOneAndAHalfTimes() async throws {
        try await H.with { harness in
            // Measured from before CONNECT: the listener's timer starts after it, so a slow CONNACK
            // cannot make the close look early.
            let silent = try await harness.raw()
            let start = ContinuousClock.now
            #expect(try await silent.connect(.init(clientID: "dev-1", keepAlive: 2))?.returnCode == .accepted)
            try await silent.waitUntilClosed()
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(2_900), "closed after \(elapsed), before 1.5 × 2 s")
            await silent.close()

            // Pings every second hold a 4 s keep-alive open past its 6 s limit; a late ping still
            // has 5 s of room.
            let pinging = try await harness.raw()
            let opened = ContinuousClock.now
            #expect(try await pinging.connect(.init(clientID: "dev-2", keepAlive: 4))?.returnCode == .accepted)
            while ContinuousClock.now - opened < .seconds(8) {
                try await Task.sleep(for: .milliseconds(1_000))
                try await pinging.send(.pingreq)
                #expect(try await pinging.receive() == .pingresp)
            }
            await pinging.close()
        }
        // A client that asks for no keep-alive still may not idle past the listener's maximum.
        try await H.with(maximumIdle: .seconds(2)) { harness in
            let idle = try await harness.raw()
            let start = ContinuousClock.now
            #expect(try await idle.connect(.init(clientID: "dev-3", keepAlive: 0))?.returnCode == .accepted)
            try await idle.waitUntilClosed()
            #expect(ContinuousClock.now - start >= .milliseconds(1_900), "closed before the maximum idle time")
            await idle.close()
        }
        // Only this listener has a short connect timeout: on it, a CONNECT that a busy machine
        // sends late would be refused too.
        try await H.with(connectTimeout: .seconds(2)) { harness in
            // Measured from before the TCP connect: the listener's timer starts when it accepts,
            // which a busy pool may report to this test well after the fact.
            let connecting = ContinuousClock.now
            let mute = try await harness.raw()
            try await mute.waitUntilClosed()
            #expect(ContinuousClock.now - connecting >= .milliseconds(1_900), "closed before the connect timeout")
            await mute.close()
        }
    }

    @Test func pubackOnlyAfterTheHandlerAndNoneWhenItFails() async throws {
        try await H.with { harness in
            await harness.delegate.failNext(1)
            let publish = MQTTPacket.Publish(
                topic: "dev/dev-1/sync/rows/batch",
                payload: ByteBuffer(string: "batch-1"),
                qos: .atLeastOnce,
                packetID: 7
            )
            let first = try await harness.raw()
            #expect(try await first.connect(.init(clientID: "dev-1", cleanSession: false))?.returnCode == .accepted)
            try await first.send(.publish(publish))
            // The handler threw: no PUBACK, the connection closes so the device resends.
            #expect(try await first.receive() == nil)
            await first.close()
            let second = try await harness.raw()
            #expect(try await second.connect(.init(clientID: "dev-1", cleanSession: false))?.sessionPresent == true)
            var again = publish
            again.dup = true
            try await second.send(.publish(again))
            #expect(try await second.receive() == .puback(packetID: 7))
            let messages = await harness.delegate.messages
            #expect(messages.count == 1 && messages[0].payload == "batch-1" && messages[0].dup)
            await second.close()
        }
    }

    /// QoS 2: PUBREC after the handler, a repeat before PUBREL only acknowledged again, PUBCOMP
    /// for PUBREL, and the id free for a new message after it. QoS 0 is handled in its turn and
    /// never acknowledged.
    @Test func exactlyOnceAndAtMostOnceMessages() async throws {
        try await H.with { harness in
            let connection = try await harness.raw()
            _ = try await connection.connect(.init(clientID: "dev-1"))
            try await connection.publish("once", id: 5, qos: .exactlyOnce)
            #expect(try await connection.receive() == .pubrec(packetID: 5))
            try await connection.publish("once", id: 5, qos: .exactlyOnce, dup: true)
            #expect(try await connection.receive() == .pubrec(packetID: 5))
            try await connection.send(.pubrel(packetID: 5))
            #expect(try await connection.receive() == .pubcomp(packetID: 5))
            try await connection.publish("fire-and-forget", id: nil, qos: .atMostOnce)
            try await connection.publish("again", id: 5, qos: .exactlyOnce)
            #expect(try await connection.receive() == .pubrec(packetID: 5))
            #expect(await harness.delegate.messages.map(\.payload) == ["once", "fire-and-forget", "again"])
            await connection.close()
        }
    }

    /// A client may publish before its CONNACK arrives: those messages wait for the session and
    /// are then handled and acknowledged in order.
    @Test func publishesSentBeforeTheConnackAreHandledOnceTheSessionIsAccepted() async throws {
        try await H.with { harness in
            let connection = try await harness.raw()
            try await connection.send(.connect(.init(clientID: "dev-1")))
            for id: UInt16 in 1...3 { try await connection.publish("early-\(id)", id: id) }
            guard case .connack(let connack)? = try await connection.receive() else {
                Issue.record("no CONNACK first")
                return
            }
            #expect(connack.returnCode == .accepted)
            for id: UInt16 in 1...3 { #expect(try await connection.receive() == .puback(packetID: id)) }
            #expect(await harness.delegate.messages.map(\.payload) == ["early-1", "early-2", "early-3"])
            await connection.close()
        }
    }

    /// The application hears of the disconnect only after every message the client sent before
    /// it was handled.
    @Test func didDisconnectComesAfterTheMessagesSentBeforeIt() async throws {
        try await H.with { harness in
            let connection = try await harness.raw()
            _ = try await connection.connect(.init(clientID: "dev-1"))
            for id: UInt16 in 1...20 { try await connection.publish("m\(id)", id: id) }
            try await connection.send(.disconnect)
            #expect(await harness.delegate.waitFor { $0.disconnects.count == 1 })
            #expect(await harness.delegate.messages.count == 20)
            await connection.close()
        }
    }

    @Test func aclClosesOnForbiddenPublishAndRefusesForbiddenSubscribe() async throws {
        try await H.with { harness in
            let connection = try await harness.raw()
            _ = try await connection.connect(.init(clientID: "dev-1"))
            try await connection.send(
                .subscribe(
                    .init(
                        packetID: 1,
                        subscriptions: [
                            .init(topicFilter: "dev/dev-1/sync/ingest/control", qos: .atLeastOnce),
                            .init(topicFilter: "dev/dev-2/sync/ingest/control", qos: .atLeastOnce),
                            .init(topicFilter: "dev/#", qos: .atMostOnce),
                            .init(topicFilter: "dev/dev-1/sync/rows/batch", qos: .exactlyOnce),
                        ]
                    )
                )
            )
            #expect(
                try await connection.receive()
                    == .suback(.init(packetID: 1, returnCodes: [.granted(.atLeastOnce), .failure, .failure, .failure]))
            )
            for topic in ["dev/dev-1/sync/rows/batch", "dev/dev-1/sync/ingest/ack", "dev/dev-1/sync/ingest/request"] {
                try await connection.send(
                    .publish(.init(topic: topic, payload: ByteBuffer(string: "{}"), qos: .atLeastOnce, packetID: 2))
                )
                #expect(try await connection.receive() == .puback(packetID: 2))
            }
            try await connection.send(
                .publish(
                    .init(topic: "dev/dev-2/sync/rows/batch", payload: ByteBuffer(), qos: .atLeastOnce, packetID: 3)
                )
            )
            #expect(try await connection.receive() == nil)
            let denials = await harness.delegate.denials.map { "\($0.denial.action.rawValue) \($0.denial.topic)" }
            #expect(
                denials == [
                    "subscribe dev/dev-2/sync/ingest/control", "subscribe dev/#", "subscribe dev/dev-1/sync/rows/batch",
                    "publish dev/dev-2/sync/rows/batch",
                ]
            )
            await connection.close()
        }
    }

    @Test func downlinksAreDeliveredAcknowledgedAndRedeliveredWithDup() async throws {
        try await H.with { harness in
            let control = "dev/dev-1/sync/ingest/control"
            let acks = AckCounter()
            // Queued while the device has never connected: delivered once it subscribes.
            await harness.listener.publish(to: "dev-1", topic: control, payload: ByteBuffer(string: "c1")) {
                await acks.add("c1")
            }
            let first = try await harness.raw()
            #expect(try await first.connect(.init(clientID: "dev-1", cleanSession: false))?.sessionPresent == true)
            try await first.send(
                .subscribe(.init(packetID: 1, subscriptions: [.init(topicFilter: control, qos: .atLeastOnce)]))
            )
            #expect(try await first.receive() == .suback(.init(packetID: 1, returnCodes: [.granted(.atLeastOnce)])))
            guard case .publish(let c1)? = try await first.receive() else {
                Issue.record("no downlink")
                return
            }
            #expect(String(buffer: c1.payload) == "c1" && c1.qos == .atLeastOnce && !c1.dup)
            try await first.send(.puback(packetID: c1.packetID!))
            #expect(await acks.wait(for: ["c1"]))
            // Sent but not acknowledged, then the device drops: redelivered with DUP=1 and the same id.
            await harness.listener.publish(to: "dev-1", topic: control, payload: ByteBuffer(string: "c2")) {
                await acks.add("c2")
            }
            guard case .publish(let c2)? = try await first.receive() else {
                Issue.record("no second downlink")
                return
            }
            await first.close()
            _ = await harness.delegate.waitFor { $0.disconnects.count == 1 }
            // Queued while offline.
            await harness.listener.publish(to: "dev-1", topic: control, payload: ByteBuffer(string: "c3")) {
                await acks.add("c3")
            }
            #expect(await harness.listener.pendingDownlinks(for: "dev-1") == (queued: 1, inflight: 1))
            let second = try await harness.raw()
            #expect(try await second.connect(.init(clientID: "dev-1", cleanSession: false))?.sessionPresent == true)
            guard case .publish(let again)? = try await second.receive(),
                case .publish(let c3)? = try await second.receive()
            else {
                Issue.record("no redelivery")
                return
            }
            #expect(again.dup && again.packetID == c2.packetID && String(buffer: again.payload) == "c2")
            #expect(!c3.dup && String(buffer: c3.payload) == "c3" && c3.packetID != c2.packetID)
            try await second.send(.puback(packetID: again.packetID!))
            try await second.send(.puback(packetID: c3.packetID!))
            #expect(await acks.wait(for: ["c1", "c2", "c3"]))
            #expect(await harness.listener.pendingDownlinks(for: "dev-1") == (queued: 0, inflight: 0))
            await second.close()
        }
    }

    /// A client that acknowledges its redelivered downlink and closes while the server is still
    /// accepting its session: the PUBACK counts, and the session ends as usual.
    @Test func aPubackSentBeforeTheSessionIsAcceptedCountsWhenTheClientCloses() async throws {
        try await H.with { harness in
            let control = "dev/dev-1/sync/ingest/control"
            let first = try await harness.raw()
            _ = try await first.connect(.init(clientID: "dev-1", cleanSession: false))
            try await first.send(
                .subscribe(.init(packetID: 1, subscriptions: [.init(topicFilter: control, qos: .atLeastOnce)]))
            )
            _ = try await first.receive()
            await first.close()
            #expect(await harness.delegate.waitFor { $0.disconnects.count == 1 })
            let acks = AckCounter()
            await harness.listener.publish(to: "dev-1", topic: control, payload: ByteBuffer(string: "c1")) {
                await acks.add("c1")
            }
            await harness.delegate.holdConnects()
            let second = try await harness.raw()
            #expect(try await second.connect(.init(clientID: "dev-1", cleanSession: false))?.sessionPresent == true)
            guard case .publish(let c1)? = try await second.receive() else {
                Issue.record("no redelivery")
                return
            }
            try await second.send(.puback(packetID: c1.packetID!))
            try await second.send(.disconnect)
            // The server closes once it has read the end of the client's stream.
            try await second.channel.channel.close(mode: .output)
            try await second.waitUntilClosed()
            await harness.delegate.releaseConnects()
            #expect(await acks.wait(for: ["c1"]))
            #expect(await harness.delegate.waitFor { $0.disconnects.count == 2 })
            #expect(await harness.listener.pendingDownlinks(for: "dev-1") == (queued: 0, inflight: 0))
            await second.close()
        }
    }

    @Test func openAuthenticatorRefusesNonLoopbackAddresses() async throws {
        await #expect(throws: MQTTListenerError.openListenerOnNonLoopbackAddress("0.0.0.0")) {
            _ = try await H.start(host: "0.0.0.0")
        }
    }

    @Test func protocolViolationsCloseTheConnection() async throws {
        try await H.with { harness in
            let early = try await harness.raw()
            try await early.send(.pingreq)
            #expect(try await early.receive() == nil)
            await early.close()
            let twice = try await harness.raw()
            _ = try await twice.connect(.init(clientID: "dev-1"))
            try await twice.send(.connect(.init(clientID: "dev-1")))
            #expect(try await twice.receive() == nil)
            await twice.close()
        }
    }
}

extension MQTTListenerTests {
    @Test func oversizePayloadsReachTheHandlerUpToTheOneMebibytePacketLimit() async throws {
        try await H.with { harness in
            let connection = try await harness.raw()
            _ = try await connection.connect(.init(clientID: "dev-1"))
            let large = ByteBuffer(repeating: 0x7B, count: 600 * 1024)
            try await connection.send(
                .publish(.init(topic: "dev/dev-1/sync/rows/batch", payload: large, qos: .atLeastOnce, packetID: 1))
            )
            #expect(try await connection.receive() == .puback(packetID: 1))
            #expect(await harness.delegate.messages.first?.payload.utf8.count == 600 * 1024)
            let tooLarge = ByteBuffer(repeating: 0x7B, count: 1024 * 1024)
            try await connection.send(
                .publish(.init(topic: "dev/dev-1/sync/rows/batch", payload: tooLarge, qos: .atLeastOnce, packetID: 2))
            )
            #expect(try await connection.receive() == nil)
            #expect(await harness.delegate.messages.count == 1)
            await connection.close()
        }
    }
}

actor AckCounter {
    private(set) var seen: [String] = []

    func add(_ name: String) { seen.append(name) }

    func wait(for expected: [String], timeout: Duration = hangDeadline) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while seen != expected {
            if ContinuousClock.now > deadline { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }
}

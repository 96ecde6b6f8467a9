import MQTT
import NIOCore
import TestSupport
import Testing

@Suite("MQTT client")
struct MQTTClientTests {
    typealias H = ListenerHarness

    static let fast = MQTTReconnectPolicy(initialDelay: .milliseconds(50), maximumDelay: .milliseconds(200), jitter: 0)

    static func client(_ port: Int, id: String = "dev-1", keepAlive: UInt16 = 30, clean: Bool = false) -> MQTTClient {
        MQTTClient(
            configuration: .init(
                host: "127.0.0.1",
                port: port,
                clientID: id,
                cleanSession: clean,
                keepAlive: keepAlive,
                reconnect: fast
            )
        )
    }

    @Test func backoffDoublesFromHalfASecondToAMinuteWithJitter() {
        let policy = MQTTReconnectPolicy()
        var generator = SystemRandomNumberGenerator()
        let expected: [Double] = [0.5, 1, 2, 4, 8, 16, 32, 60, 60, 60]
        for (index, base) in expected.enumerated() {
            for _ in 0..<20 {
                let delay = policy.delay(attempt: index + 1, using: &generator)
                let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
                #expect(
                    seconds >= base * 0.8 - 0.001 && seconds <= base * 1.2 + 0.001,
                    "attempt \(index + 1): \(seconds)"
                )
            }
        }
        let exact = MQTTReconnectPolicy(jitter: 0)
        #expect(exact.delay(attempt: 3) == .seconds(2))
    }

    @Test func serverURLs() {
        #expect(MQTTClientConfiguration.parseServerURL("mqtt://broker:1884")! == ("broker", 1884, false))
        #expect(MQTTClientConfiguration.parseServerURL("mqtts://broker")! == ("broker", 8883, true))
        #expect(MQTTClientConfiguration.parseServerURL("ssl://10.0.0.5:8884")! == ("10.0.0.5", 8884, true))
        #expect(MQTTClientConfiguration.parseServerURL("mqtt://[::1]:1883")! == ("::1", 1883, false))
        #expect(MQTTClientConfiguration.parseServerURL("http://broker") == nil)
        #expect(MQTTClientConfiguration.parseServerURL("mqtt://broker:0") == nil)
        #expect(MQTTClientConfiguration.parseServerURL("mqtt://:1883") == nil)
    }

    @Test func publishesAreAcknowledgedAfterTheHandler() async throws {
        try await H.with { harness in
            let client = Self.client(harness.port)
            #expect(try await client.connect() == false)
            for index in 0..<20 {
                try await client.publish(topic: "dev/dev-1/sync/rows/batch", payload: ByteBuffer(string: "b\(index)"))
            }
            #expect(await harness.delegate.messages.map(\.payload) == (0..<20).map { "b\($0)" })
            #expect(await client.inflightCount == 0)
            await client.shutdown()
            #expect(await harness.delegate.waitFor { $0.disconnects.count == 1 })
        }
    }

    /// Publishes started one after another, none waiting for the one before to be acknowledged,
    /// reach the broker in the order started (MQTT 3.1.1 §4.6): an agent keeps several batches on
    /// their way and the server commits them as they arrive.
    @Test func publishesOnTheirWayTogetherArriveInTheOrderStarted() async throws {
        try await H.with { harness in
            let client = Self.client(harness.port)
            _ = try await client.connect()
            var publishes: [Task<Void, any Error>] = []
            for index in 0..<200 {
                publishes.append(
                    Task { @MainActor in
                        try await client.publish(
                            topic: "dev/dev-1/sync/rows/batch",
                            payload: ByteBuffer(string: "o\(index)")
                        )
                    }
                )
            }
            for publish in publishes { try await publish.value }
            #expect(await harness.delegate.messages.map(\.payload) == (0..<200).map { "o\($0)" })
            await client.shutdown()
        }
    }

    /// Publishes made while a connection restores its session (re-subscribing, resending the
    /// queued ones) are sent too: each of them is acknowledged without another reconnect.
    @Test func publishesDuringTheSessionRestoreAreSent() async throws {
        try await H.with { harness in
            let client = Self.client(harness.port)
            let topic = "dev/dev-1/sync/rows/batch"
            try await client.connect()
            try await client.subscribe([.init(topicFilter: "dev/dev-1/sync/ingest/control", qos: .atLeastOnce)])
            await client.dropConnection()
            let queued = (0..<50).map { index in
                Task { try await client.publish(topic: topic, payload: ByteBuffer(string: "q\(index)")) }
            }
            let runner = Task { await client.run() }
            var during: [Task<Void, any Error>] = []
            while !(await client.isConnected) {
                let index = during.count
                during.append(Task { try await client.publish(topic: topic, payload: ByteBuffer(string: "d\(index)")) })
                await Task.yield()
            }
            let deadline = Task {
                try await Task.sleep(for: hangDeadline)
                await client.shutdown()
            }
            for publish in queued + during { try await publish.value }
            deadline.cancel()
            #expect(await client.inflightCount == 0)
            await client.shutdown()
            await runner.value
        }
    }

    @Test func refusedConnectionsReportTheCode() async throws {
        try await H.with(authenticator: H.passwords) { harness in
            let client = MQTTClient(
                configuration: .init(
                    host: "127.0.0.1",
                    port: harness.port,
                    clientID: "dev-1",
                    username: "dev-1",
                    password: Array("no".utf8),
                    connectTimeout: H.connectTimeout
                )
            )
            await #expect(throws: MQTTClientError.connectionRefused(.badUsernameOrPassword)) {
                try await client.connect()
            }
            #expect(await client.lastError == .connectionRefused(.badUsernameOrPassword))
            await client.shutdown()
        }
    }

    /// A CONNACK followed at once by the close (a FIN or an RST in the same tick) is still read
    /// and reported as the refusal it is, never as a closed connection.
    @Test(arguments: [false, true]) func aRefusalRightBeforeTheCloseIsReported(reset: Bool) async throws {
        let broker = try await RefusingBroker.start(code: .notAuthorized, reset: reset)
        for _ in 0..<50 {
            let client = MQTTClient(
                configuration: .init(
                    host: "127.0.0.1",
                    port: broker.port,
                    clientID: "dev-1",
                    connectTimeout: H.connectTimeout
                )
            )
            await #expect(throws: MQTTClientError.connectionRefused(.notAuthorized)) { try await client.connect() }
            #expect(await client.lastError == .connectionRefused(.notAuthorized))
            await client.shutdown()
        }
        await broker.stop()
    }

    @Test func unacknowledgedPublishIsResentWithDupAndTheSameIdAfterReconnect() async throws {
        try await H.with { harness in
            await harness.delegate.failNext(1)
            let client = Self.client(harness.port)
            let runner = Task { await client.run() }
            #expect(await client.waitUntilConnected(timeout: hangDeadline))
            // The listener refuses the first delivery and drops the link; run() reconnects, the
            // session is present, and the publish goes again with DUP=1.
            try await client.publish(topic: "dev/dev-1/sync/rows/batch", payload: ByteBuffer(string: "once"))
            let messages = await harness.delegate.messages
            #expect(messages.count == 1 && messages[0].payload == "once" && messages[0].dup)
            #expect(await harness.delegate.connects.count == 2)
            await client.shutdown()
            await runner.value
        }
    }

    /// A payload made for one connection's broker (compressed for it) is withdrawn when that
    /// connection ends, not resent to whichever broker the client reaches next.
    @Test func aPublishForOneConnectionOnlyIsWithdrawnWhenItEnds() async throws {
        try await H.with { harness in
            await harness.delegate.failNext(1)
            let client = Self.client(harness.port)
            let runner = Task { await client.run() }
            #expect(await client.waitUntilConnected(timeout: hangDeadline))
            await #expect(throws: MQTTClientError.connectionClosed) {
                try await client.publish(
                    topic: "dev/dev-1/sync/rows/batch",
                    payload: ByteBuffer(string: "for this broker"),
                    resend: .never
                )
            }
            #expect(await client.inflightCount == 0)
            #expect(await client.waitUntilConnected(timeout: hangDeadline))
            try await client.publish(topic: "dev/dev-1/sync/rows/batch", payload: ByteBuffer(string: "afresh"))
            #expect(
                await harness.delegate.messages.map { $0.payload } == ["afresh"],
                "the withdrawn one never went again"
            )
            await client.shutdown()
            await runner.value
            let idle = Self.client(harness.port, id: "dev-2")
            await #expect(throws: MQTTClientError.notConnected) {
                try await idle.publish(topic: "dev/dev-2/sync/rows/batch", payload: ByteBuffer(), resend: .never)
            }
        }
    }

    @Test func downlinksArriveAndAreAcknowledgedOnlyWhenHandled() async throws {
        try await H.with { harness in
            let control = "dev/dev-1/sync/ingest/control"
            let client = Self.client(harness.port)
            let runner = Task { await client.run() }
            #expect(await client.waitUntilConnected(timeout: hangDeadline))
            #expect(
                try await client.subscribe([.init(topicFilter: control, qos: .atLeastOnce)]) == [.granted(.atLeastOnce)]
            )
            #expect(
                try await client.subscribe([.init(topicFilter: "dev/dev-2/sync/ingest/control", qos: .atLeastOnce)])
                    == [.failure]
            )
            let acks = AckCounter()
            await harness.listener.publish(to: "dev-1", topic: control, payload: ByteBuffer(string: "pause")) {
                await acks.add("pause")
            }
            var messages = client.messages.makeAsyncIterator()
            let first = try #require(await messages.next())
            #expect(String(buffer: first.payload) == "pause" && !first.dup)
            // Not acknowledged yet: the connection drops, the broker redelivers with DUP.
            await client.dropConnection()
            let again = try #require(await messages.next())
            #expect(String(buffer: again.payload) == "pause" && again.dup)
            await again.acknowledge()
            #expect(await acks.wait(for: ["pause"]))
            await client.shutdown()
            await runner.value
        }
    }

    @Test func keepAlivePingsHoldAnIdleConnection() async throws {
        try await H.with { harness in
            // Four seconds: pings every 3 s against the listener's 6 s grace, so a ping that a
            // machine busy with every other suite sends seconds late still lands in time; the
            // connection stays idle well past the grace.
            let client = Self.client(harness.port, keepAlive: 4)
            try await client.connect()
            try await Task.sleep(for: .seconds(9))
            #expect(await client.isConnected)
            #expect(await harness.delegate.disconnects.isEmpty)
            await client.shutdown()
        }
    }

    @Test func publishWaitsForAConnectionAndShutdownFailsIt() async throws {
        let port = try await freeTestPort()
        let client = Self.client(port)
        let publish = Task { try await client.publish(topic: "a/b", payload: ByteBuffer(string: "x")) }
        try await Task.sleep(for: .milliseconds(100))
        #expect(await client.inflightCount == 1)
        await client.shutdown()
        await #expect(throws: MQTTClientError.shutdown) { try await publish.value }
        await #expect(throws: MQTTClientError.shutdown) {
            try await client.publish(topic: "a/b", payload: ByteBuffer())
        }
    }

    @Test func unsubscribeStopsDeliveryAndListenerShutdownIsGraceful() async throws {
        try await MosquittoBroker.with { broker in
            let client = Self.client(broker.port, id: "dev-u", clean: true)
            try await client.connect()
            try await client.subscribe([.init(topicFilter: "t/+", qos: .atLeastOnce)])
            try await client.publish(topic: "t/1", payload: ByteBuffer(string: "before"))
            var messages = client.messages.makeAsyncIterator()
            #expect(try #require(await messages.next()).payload == ByteBuffer(string: "before"))
            try await client.unsubscribe(["t/+"])
            try await client.publish(topic: "t/1", payload: ByteBuffer(string: "after"))
            try await client.subscribe([.init(topicFilter: "marker", qos: .atLeastOnce)])
            try await client.publish(topic: "marker", payload: ByteBuffer(string: "marker"))
            // The next message is the marker: nothing from the unsubscribed filter came first.
            #expect(try #require(await messages.next()).payload == ByteBuffer(string: "marker"))
            await client.shutdown()
        }
        let harness = try await H.start()
        let client = Self.client(harness.port)
        try await client.connect()
        await harness.stop()
        #expect(await harness.delegate.waitFor { $0.disconnects.count == 1 })
        let refused = Self.client(harness.port, id: "dev-2")
        await #expect(throws: (any Error).self) { try await refused.connect() }
        await client.shutdown()
        await refused.shutdown()
    }
}

import MQTT
import NIOCore
import NIOSSL
import TestSupport
import Testing

/// Our client against a real `mosquitto` broker started by the test.
@Suite("Interop: our client ⇄ mosquitto broker", .serialized)
struct MosquittoBrokerInteropTests {
    static let fast = MQTTClientTests.fast

    static func client(_ port: Int, id: String, tls: TLSConfiguration? = nil) -> MQTTClient {
        MQTTClient(configuration: .init(host: "127.0.0.1", port: port, tls: tls, clientID: id, reconnect: fast))
    }

    @Test func qos1BothWays() async throws {
        try await MosquittoBroker.with { broker in
            let device = Self.client(broker.port, id: "device")
            let cloud = Self.client(broker.port, id: "cloud")
            try await device.connect()
            try await cloud.connect()
            try await cloud.subscribe([.init(topicFilter: "up/#", qos: .atLeastOnce)])
            try await device.subscribe([.init(topicFilter: "down", qos: .atLeastOnce)])
            var up = cloud.messages.makeAsyncIterator()
            var down = device.messages.makeAsyncIterator()
            for index in 0..<50 {
                try await device.publish(topic: "up/rows", payload: ByteBuffer(string: "u\(index)"))
            }
            for index in 0..<50 {
                let message = try #require(await up.next())
                #expect(String(buffer: message.payload) == "u\(index)" && message.qos == .atLeastOnce)
                await message.acknowledge()
            }
            try await cloud.publish(topic: "down", payload: ByteBuffer(string: "control"))
            let control = try #require(await down.next())
            #expect(String(buffer: control.payload) == "control")
            await control.acknowledge()
            await device.shutdown()
            await cloud.shutdown()
        }
    }

    /// A broker that cannot bind is reported with its own words, not taken for ready because
    /// something else answers on the port.
    @Test func aBrokerWhosePortIsTakenFailsWithItsError() async throws {
        try await MosquittoBroker.with { holder in
            await #expect {
                try await MosquittoBroker.start(port: holder.port)
            } throws: { error in
                "\(error)".contains("Address already in use")
            }
        }
    }

    @Test func persistentSessionRedeliversAfterTheClientIsKilledAndRestarted() async throws {
        try await MosquittoBroker.with { broker in
            let first = Self.client(broker.port, id: "dev-9")
            #expect(try await first.connect() == false)
            try await first.subscribe([.init(topicFilter: "dev/dev-9/control", qos: .atLeastOnce)])
            let sender = Self.client(broker.port, id: "sender")
            try await sender.connect()
            try await sender.publish(topic: "dev/dev-9/control", payload: ByteBuffer(string: "seen-not-acked"))
            var messages = first.messages.makeAsyncIterator()
            let unacknowledged = try #require(await messages.next())
            #expect(String(buffer: unacknowledged.payload) == "seen-not-acked")
            // Killed: no DISCONNECT, no PUBACK. Then a message arrives while it is down.
            await first.dropConnection()
            await first.shutdown()
            try await sender.publish(topic: "dev/dev-9/control", payload: ByteBuffer(string: "while-offline"))
            let restarted = Self.client(broker.port, id: "dev-9")
            #expect(try await restarted.connect() == true)
            var again = restarted.messages.makeAsyncIterator()
            let redelivered = try #require(await again.next())
            #expect(String(buffer: redelivered.payload) == "seen-not-acked" && redelivered.dup)
            await redelivered.acknowledge()
            let queued = try #require(await again.next())
            #expect(String(buffer: queued.payload) == "while-offline")
            await queued.acknowledge()
            await restarted.shutdown()
            await sender.shutdown()
        }
    }

    @Test func publishIsSentAfreshWhenTheBrokerLostTheSession() async throws {
        let port = try await freeTestPort()
        let client = Self.client(port, id: "dev-3")
        let runner = Task { await client.run() }
        let publish = Task { try await client.publish(topic: "dev/dev-3/up", payload: ByteBuffer(string: "queued")) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(await client.inflightCount == 1)
        try await MosquittoBroker.with(port: port) { broker in
            try await publish.value
            if case .connected(let present) = await client.state { #expect(!present) }
            await client.shutdown()
            await runner.value
        }
    }

    @Test func tlsWithAGeneratedChainAndClientCertificate() async throws {
        let certificates = try await TestCertificates.make()
        let tlsPort = try await freeTestPort()
        let tlsListener = """
            listener \(tlsPort) 127.0.0.1
            cafile \(certificates.caCertificate)
            certfile \(certificates.serverCertificate)
            keyfile \(certificates.serverKey)
            require_certificate true
            use_identity_as_username true
            """
        try await MosquittoBroker.with(extraConfiguration: tlsListener) { _ in
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(certificates.caCertificate)
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificates.deviceCertificate).map {
                .certificate($0)
            }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: certificates.deviceKey, format: .pem))
            let client = Self.client(tlsPort, id: "dev-1", tls: tls)
            try await client.connect()
            try await client.subscribe([.init(topicFilter: "t", qos: .atLeastOnce)])
            try await client.publish(topic: "t", payload: ByteBuffer(string: "secure"))
            var messages = client.messages.makeAsyncIterator()
            #expect(try #require(await messages.next()).payload == ByteBuffer(string: "secure"))
            await client.shutdown()

            var untrusted = TLSConfiguration.makeClientConfiguration()
            untrusted.trustRoots = .file(certificates.path("foreign-ca.pem"))
            let refused = Self.client(tlsPort, id: "dev-1", tls: untrusted)
            await #expect(throws: (any Error).self) { try await refused.connect() }
            await refused.shutdown()
        }
    }
}

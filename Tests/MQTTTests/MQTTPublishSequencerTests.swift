import MQTT
import NIOCore
import Synchronization
import TestSupport
import Testing

@Suite("MQTT listener: the order of handling and acknowledgements")
struct MQTTPublishSequencerTests {
    /// Logs each phase of each message (by payload); the first phase of `holdUntil.message`
    /// waits until the log shows `holdUntil.event`, and the second phase of `failing` throws.
    actor PhaseLog: MQTTListenerDelegate {
        private(set) var events: [String] = []
        let holdUntil: (message: String, event: String)?
        let failing: String?

        init(holdUntil: (message: String, event: String)? = nil, failing: String? = nil) {
            self.holdUntil = holdUntil
            self.failing = failing
        }

        struct Refused: Error {}

        nonisolated func preparesAhead(_ message: MQTTInboundPublish) -> Bool { true }

        nonisolated func mqttListener(
            didReceive message: MQTTInboundPublish,
            from session: MQTTSessionInfo
        ) async throws {
            Issue.record("a delegate that prepares ahead is handed messages through prepare")
        }

        nonisolated func mqttListener(
            prepare message: MQTTInboundPublish,
            from session: MQTTSessionInfo
        ) async -> MQTTPublishCommit {
            let name = String(buffer: message.payload)
            await log("prepare \(name)")
            if let holdUntil, holdUntil.message == name {
                #expect(await waitFor(holdUntil.event))
                await log("prepared \(name)")
            }
            return { [self] in
                await log("commit \(name)")
                if name == failing { throw Refused() }
            }
        }

        private func log(_ event: String) { events.append(event) }

        func waitFor(_ event: String) async -> Bool {
            let deadline = ContinuousClock.now + hangDeadline
            while !events.contains(event) {
                if ContinuousClock.now > deadline { return false }
                try? await Task.sleep(for: .milliseconds(5))
            }
            return true
        }
    }

    /// Handles a message without suspending, or (every third one) after suspending, so that
    /// acknowledgements are written from the event loop and from other threads in turn.
    final class SometimesSuspending: MQTTListenerDelegate {
        let handled = Mutex<[String]>([])

        func mqttListener(didReceive message: MQTTInboundPublish, from session: MQTTSessionInfo) async throws {
            let name = String(buffer: message.payload)
            if let number = Int(name.dropFirst()), number.isMultiple(of: 3) { await Task.yield() }
            handled.withLock { $0.append(name) }
        }
    }

    static func withListener(
        _ delegate: any MQTTListenerDelegate,
        depth: Int = 8,
        _ body: (RawMQTTConnection) async throws -> Void
    ) async throws {
        let listener = MQTTListener(
            configuration: MQTTListenerConfiguration(
                port: 0,
                connectTimeout: ListenerHarness.connectTimeout,
                publishPipelineDepth: depth
            ),
            authenticator: ListenerHarness.devOpen,
            acl: DeviceTopicACL(publishSuffixes: ListenerHarness.uplinks, subscribeSuffixes: []),
            delegate: delegate
        )
        let port = try await listener.start()
        let run: (MQTTListener) async throws -> Void = { _ in
            let connection = try await RawMQTTConnection(port: port)
            #expect(try await connection.connect(.init(clientID: "dev-1", cleanSession: true))?.returnCode == .accepted)
            try await body(connection)
            await connection.close()
        }
        try await scoped(listener, cleanup: { await $0.shutdown() }, run)
    }

    /// Handlers that finish on the event loop and handlers that finish elsewhere, mixed: every
    /// message is handled once, in order, and the PUBACKs keep that order.
    @Test func acknowledgementsKeepTheArrivalOrderWhereverHandlersFinish() async throws {
        let delegate = SometimesSuspending()
        let names = (1...300).map { "m\($0)" }
        try await Self.withListener(delegate, depth: 4) { connection in
            for (index, name) in names.enumerated() { try await connection.publish(name, id: UInt16(index + 1)) }
            for id: UInt16 in 1...300 { #expect(try await connection.receive() == .puback(packetID: id)) }
        }
        #expect(delegate.handled.withLock { $0 } == names)
    }

    /// The first message's first phase cannot finish before the third's has started, so they
    /// ran side by side; the second phases and the PUBACKs still follow the arrival order.
    @Test func firstPhasesRunAheadAndCommitsKeepTheArrivalOrder() async throws {
        let delegate = PhaseLog(holdUntil: ("m1", "prepare m3"))
        try await Self.withListener(delegate) { connection in
            for (index, name) in ["m1", "m2", "m3"].enumerated() {
                try await connection.publish(name, id: UInt16(index + 1))
            }
            for id: UInt16 in 1...3 { #expect(try await connection.receive() == .puback(packetID: id)) }
        }
        let commits = await delegate.events.filter { $0.hasPrefix("commit") }
        #expect(commits == ["commit m1", "commit m2", "commit m3"])
    }

    /// A second phase that throws: no PUBACK for it or for the messages after it, which are
    /// never committed; the connection closes so that the client resends them.
    @Test func aFailedSecondPhaseClosesWithoutAcknowledgingItOrLaterMessages() async throws {
        let delegate = PhaseLog(holdUntil: ("m1", "prepare m3"), failing: "m2")
        try await Self.withListener(delegate) { connection in
            for (index, name) in ["m1", "m2", "m3"].enumerated() {
                try await connection.publish(name, id: UInt16(index + 1))
            }
            #expect(try await connection.receive() == .puback(packetID: 1))
            #expect(try await connection.receive() == nil)
        }
        let events = await delegate.events
        #expect(events.filter { $0.hasPrefix("commit") } == ["commit m1", "commit m2"])
    }

    /// With two in hand, the third message's first phase waits for the first's acknowledgement:
    /// a client that floods is held back.
    @Test func atMostDepthMessagesAreInHand() async throws {
        let delegate = PhaseLog(holdUntil: ("m1", "prepare m2"))
        try await Self.withListener(delegate, depth: 2) { connection in
            for (index, name) in ["m1", "m2", "m3"].enumerated() {
                try await connection.publish(name, id: UInt16(index + 1))
            }
            for id: UInt16 in 1...3 { #expect(try await connection.receive() == .puback(packetID: id)) }
        }
        let events = await delegate.events
        let third = try #require(events.firstIndex(of: "prepare m3"))
        #expect(third > (events.firstIndex(of: "commit m1") ?? .max))
    }
}

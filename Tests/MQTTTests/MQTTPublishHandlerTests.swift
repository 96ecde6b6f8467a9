import NIOCore
import NIOEmbedded
import Testing

@testable import MQTT

/// The listener's publish handler on a test channel, with the packets it holds until the
/// session is accepted.
@Suite("MQTT listener publish handler")
struct MQTTPublishHandlerTests {
    typealias H = ListenerHarness

    /// A forbidden PUBLISH among the held ones ends the session there: the one after it is not
    /// handled, as it would not be had it arrived after the session was accepted.
    @Test func nothingHeldBehindAForbiddenPublishIsHandled() async throws {
        let channel = NIOAsyncTestingChannel()
        let sequencer = MQTTPublishSequencer(channel: channel, depth: 8)
        let delegate = RecordingDelegate()
        let acl = DeviceTopicACL(publishSuffixes: H.uplinks, subscribeSuffixes: [H.control])
        try await channel.testingEventLoop.executeInContext {
            try channel.pipeline.syncOperations.addHandler(
                MQTTPublishHandler(sequencer: sequencer, acl: acl, delegate: delegate)
            )
        }
        try await channel.writeInbound(MQTTPacket.connect(.init(clientID: "dev-1")))
        for (id, payload, device): (UInt16, String, String) in [
            (1, "early", "dev-1"), (2, "no", "dev-2"), (3, "after", "dev-1"),
        ] {
            let topic = "dev/\(device)/sync/rows/batch"
            try await channel.writeInbound(
                MQTTPacket.publish(
                    .init(topic: topic, payload: ByteBuffer(string: payload), qos: .atLeastOnce, packetID: id)
                )
            )
        }
        try await channel.pipeline.triggerUserOutboundEvent(MQTTPublishHandler.Activate(session: Self.session)).get()
        await sequencer.finish()
        #expect(await delegate.waitFor { $0.denials.count == 1 })
        #expect(await delegate.messages.map(\.payload) == ["early"])
    }

    /// A PUBACK starts at the publish handler, which the sequencer lets go of when the connection
    /// closes: otherwise the handler, its context and the sequencer would hold each other.
    @Test func acknowledgementsStartAtTheHandlerWhichIsReleasedOnClose() async throws {
        let channel = NIOAsyncTestingChannel()
        let sequencer = MQTTPublishSequencer(channel: channel, depth: 8)
        let released = Released()
        try await channel.testingEventLoop.executeInContext {
            let handler = MQTTPublishHandler(
                sequencer: sequencer,
                acl: DeviceTopicACL(publishSuffixes: H.uplinks, subscribeSuffixes: [H.control]),
                delegate: RecordingDelegate()
            )
            released.handler = handler
            try channel.pipeline.syncOperations.addHandler(handler)
        }
        try await channel.writeInbound(MQTTPacket.connect(.init(clientID: "dev-1")))
        try await channel.pipeline.triggerUserOutboundEvent(MQTTPublishHandler.Activate(session: Self.session)).get()
        try await channel.writeInbound(
            MQTTPacket.publish(
                .init(
                    topic: "dev/dev-1/sync/rows/batch",
                    payload: ByteBuffer(string: "one"),
                    qos: .atLeastOnce,
                    packetID: 7
                )
            )
        )
        #expect(try await channel.waitForOutboundWrite(as: MQTTPacket.self) == .puback(packetID: 7))
        try await channel.close()
        await sequencer.finish()
        #expect(released.handler == nil)
    }

    /// The session the connection's task accepts for dev-1.
    static let session = MQTTSessionInfo(
        principal: H.principal("dev-1"),
        connectionID: 1,
        cleanSession: true,
        remoteAddress: nil,
        usesTLS: false
    )

    /// Set on the test channel's loop, read after it has finished.
    final class Released: @unchecked Sendable {
        weak var handler: MQTTPublishHandler?
    }
}

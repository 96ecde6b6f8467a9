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
        let session = MQTTSessionInfo(
            principal: H.principal("dev-1"),
            connectionID: 1,
            cleanSession: true,
            remoteAddress: nil,
            usesTLS: false
        )
        try await channel.pipeline.triggerUserOutboundEvent(MQTTPublishHandler.Activate(session: session)).get()
        await sequencer.finish()
        #expect(await delegate.waitFor { $0.denials.count == 1 })
        #expect(await delegate.messages.map(\.payload) == ["early"])
    }
}

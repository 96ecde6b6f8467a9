import NIOCore
import NIOEmbedded
import Testing

@testable import MQTT

/// The listener's keep-alive handler on an embedded loop, whose clock only moves when the test
/// moves it: the timings are exact, whatever else the machine is doing.
@Suite("MQTT listener keep-alive handler")
struct MQTTKeepAliveHandlerTests {
    static func channel(connectTimeout: TimeAmount = .seconds(10)) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(
            MQTTKeepAliveHandler(connectTimeout: connectTimeout, maximumIdle: .seconds(600))
        )
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1883)).wait()
        return channel
    }

    @Test func theIdleTimerStartsAtTheConnAckNotAtTheConnect() throws {
        let channel = try Self.channel()
        try channel.writeInbound(MQTTPacket.connect(.init(clientID: "dev-1", keepAlive: 2)))
        // Authentication that takes longer than the whole keep-alive closes nothing.
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(channel.isActive)
        try channel.writeOutbound(MQTTPacket.connack(.init(sessionPresent: false, returnCode: .accepted)))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(2_999))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive)
    }

    @Test func aPacketPushesTheLimitBackAndPingsAreAnsweredHere() throws {
        let channel = try Self.channel()
        try channel.writeInbound(MQTTPacket.connect(.init(clientID: "dev-1", keepAlive: 2)))
        try channel.writeOutbound(MQTTPacket.connack(.init(sessionPresent: false, returnCode: .accepted)))
        _ = try channel.readInbound(as: MQTTPacket.self)
        _ = try channel.readOutbound(as: MQTTPacket.self)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        try channel.writeInbound(MQTTPacket.pingreq)
        #expect(try channel.readOutbound(as: MQTTPacket.self) == .pingresp)
        #expect(try channel.readInbound(as: MQTTPacket.self) == nil)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(2_999))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive)
    }

    @Test func aConnectionWithoutConnectGoesAtTheConnectTimeout() throws {
        let channel = try Self.channel(connectTimeout: .seconds(3))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(2_999))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive)
    }
}

import NIOCore

/// Decodes MQTT packets from the inbound byte stream. A protocol violation (including a packet
/// larger than `maximumPacketSize`) is thrown into the pipeline, where the connection handler
/// closes the connection as MQTT §4.8 requires.
public struct MQTTPacketDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = MQTTPacket

    /// Default 1 MiB: twice the 512 KiB payload limit, so oversize payloads up to 1 MiB still
    /// reach the validator (and are recorded as `payload_too_large`) instead of dropping the link.
    public static let defaultMaximumPacketSize = 1_048_576

    public let maximumPacketSize: Int

    public init(maximumPacketSize: Int = MQTTPacketDecoder.defaultMaximumPacketSize) {
        self.maximumPacketSize = maximumPacketSize
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let packet = try MQTTPacketParser.parse(&buffer, maximumPacketSize: maximumPacketSize) else {
            return .needMoreData
        }
        context.fireChannelRead(Self.wrapInboundOut(packet))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}

/// Encodes outbound MQTT packets.
public struct MQTTPacketEncoder: MessageToByteEncoder, Sendable {
    public typealias OutboundIn = MQTTPacket

    public init() {}

    public func encode(data: MQTTPacket, out: inout ByteBuffer) throws {
        try MQTTPacketSerializer.write(data, into: &out)
    }
}

import MQTT
import NIOCore
import NIOEmbedded
import Testing

@Suite("MQTT codec: byte-exact packets")
struct MQTTCodecTests {
    static func bytes(_ hex: String) -> [UInt8] {
        let digits = hex.filter { !$0.isWhitespace }
        return stride(from: 0, to: digits.count, by: 2).map { offset in
            let start = digits.index(digits.startIndex, offsetBy: offset)
            return UInt8(digits[start..<digits.index(start, offsetBy: 2)], radix: 16)!
        }
    }

    static func buffer(_ string: String) -> ByteBuffer { ByteBuffer(string: string) }

    /// Each packet with its exact bytes: encoding gives the bytes, decoding gives the packet back.
    static let fixtures: [(MQTTPacket, String)] = [
        (.pingreq, "C0 00"),
        (.pingresp, "D0 00"),
        (.disconnect, "E0 00"),
        (
            .connect(
                .init(
                    clientID: "dev-1",
                    cleanSession: false,
                    keepAlive: 30,
                    username: "dev-1",
                    password: buffer("secret")
                )
            ),
            "10 20 0004 4D515454 04 C0 001E 0005 6465762D31 0005 6465762D31 0006 736563726574"
        ),
        (.connect(.init(clientID: "", cleanSession: true, keepAlive: 0)), "10 0C 0004 4D515454 04 02 0000 0000"),
        (
            .connect(
                .init(clientID: "c", will: .init(topic: "w", message: buffer("x"), qos: .atLeastOnce, retain: true))
            ),
            "10 13 0004 4D515454 04 2E 001E 0001 63 0001 77 0001 78"
        ),
        (.connack(.init(sessionPresent: true, returnCode: .accepted)), "20 02 01 00"),
        (.connack(.init(sessionPresent: false, returnCode: .notAuthorized)), "20 02 00 05"),
        (
            .publish(.init(topic: "a/b", payload: buffer("hi"), qos: .atLeastOnce, packetID: 10)),
            "32 09 0003 612F62 000A 6869"
        ),
        (
            .publish(.init(topic: "a/b", payload: buffer("hi"), qos: .atLeastOnce, dup: true, packetID: 10)),
            "3A 09 0003 612F62 000A 6869"
        ),
        (.publish(.init(topic: "a", payload: ByteBuffer(), qos: .atMostOnce, retain: true)), "31 03 0001 61"),
        (
            .publish(.init(topic: "a", payload: buffer("z"), qos: .exactlyOnce, packetID: 0xFFFF)),
            "34 06 0001 61 FFFF 7A"
        ),
        (.puback(packetID: 10), "40 02 000A"),
        (.pubrec(packetID: 10), "50 02 000A"),
        (.pubrel(packetID: 10), "62 02 000A"),
        (.pubcomp(packetID: 10), "70 02 000A"),
        (
            .subscribe(.init(packetID: 1, subscriptions: [.init(topicFilter: "a/#", qos: .atLeastOnce)])),
            "82 08 0001 0003 612F23 01"
        ),
        (
            .subscribe(
                .init(
                    packetID: 2,
                    subscriptions: [
                        .init(topicFilter: "+", qos: .atMostOnce), .init(topicFilter: "b", qos: .exactlyOnce),
                    ]
                )
            ),
            "82 0A 0002 0001 2B 00 0001 62 02"
        ),
        (.suback(.init(packetID: 1, returnCodes: [.granted(.atLeastOnce), .failure])), "90 04 0001 01 80"),
        (.unsubscribe(.init(packetID: 2, topicFilters: ["a/#"])), "A2 07 0002 0003 612F23"),
        (.unsuback(packetID: 2), "B0 02 0002"),
    ]

    @Test func encodesEveryPacketExactly() throws {
        for (packet, hex) in Self.fixtures {
            var out = ByteBuffer()
            try MQTTPacketSerializer.write(packet, into: &out)
            #expect(Array(out.readableBytesView) == Self.bytes(hex), "\(packet)")
        }
    }

    @Test func decodesEveryPacketExactly() throws {
        for (packet, hex) in Self.fixtures {
            var buffer = ByteBuffer(bytes: Self.bytes(hex))
            #expect(try MQTTPacketParser.parse(&buffer, maximumPacketSize: 1 << 20) == packet, "\(hex)")
            #expect(buffer.readableBytes == 0)
        }
    }

    @Test func remainingLengthUsesOneToFourBytes() throws {
        let cases: [(Int, String)] = [
            (0, "00"), (127, "7F"), (128, "8001"), (16_383, "FF7F"), (16_384, "808001"),
            (2_097_151, "FFFF7F"), (2_097_152, "80808001"), (268_435_455, "FFFFFF7F"),
        ]
        for (length, hex) in cases {
            let payload = ByteBuffer(repeating: 0x61, count: length - min(length, 3))
            guard length >= 3 else { continue }
            var out = ByteBuffer()
            try MQTTPacketSerializer.write(.publish(.init(topic: "a", payload: payload)), into: &out)
            #expect(Array(out.getBytes(at: 1, length: hex.count / 2)!) == Self.bytes(hex), "\(length)")
            var decode = out
            if length <= 4_000_000 {
                let packet = try MQTTPacketParser.parse(&decode, maximumPacketSize: 1 << 23)
                #expect(packet == .publish(.init(topic: "a", payload: payload)))
            }
        }
        var fifth = ByteBuffer(bytes: Self.bytes("30 FF FF FF FF 01"))
        #expect(throws: MQTTProtocolError.malformedRemainingLength) {
            try MQTTPacketParser.parse(&fifth, maximumPacketSize: .max)
        }
    }

    @Test func oversizePacketsFailBeforeTheirBodyArrives() throws {
        // Only the 5-byte header of a 2 MiB PUBLISH: rejected at once, nothing buffered for the body.
        var header = ByteBuffer(bytes: Self.bytes("30 80 80 80 01"))
        #expect(throws: MQTTProtocolError.packetTooLarge(size: 2_097_157, limit: 1_048_576)) {
            try MQTTPacketParser.parse(&header, maximumPacketSize: 1_048_576)
        }
        var justFits = ByteBuffer(bytes: Self.bytes("30 FB FF 3F"))  // 1,048,571 + 4 = 1 MiB - 1
        #expect(try MQTTPacketParser.parse(&justFits, maximumPacketSize: 1_048_576) == nil)
    }

    @Test func incompletePacketsConsumeNothing() throws {
        let full = Self.bytes("32 09 0003 612F62 000A 6869")
        for length in 0..<full.count {
            var partial = ByteBuffer(bytes: full[0..<length])
            #expect(try MQTTPacketParser.parse(&partial, maximumPacketSize: 1 << 20) == nil)
            #expect(partial.readableBytes == length)
        }
    }

    @Test func protocolViolationsAreErrors() {
        let cases: [(String, MQTTProtocolError)] = [
            ("00 00", .reservedPacketType(0)),
            ("F0 00", .reservedPacketType(15)),
            ("60 02 000A", .invalidFixedHeaderFlags(type: 6, flags: 0)),
            ("C1 00", .invalidFixedHeaderFlags(type: 12, flags: 1)),
            ("80 08 0001 0003 612F23 01", .invalidFixedHeaderFlags(type: 8, flags: 0)),
            ("36 05 0001 61 0001", .invalidQoS(3)),
            ("38 03 0001 61", .invalidFixedHeaderFlags(type: 3, flags: 8)),
            ("40 02 0000", .zeroPacketID),
            ("32 05 0001 61 0000", .zeroPacketID),
            ("30 05 0003 61 00 62", .invalidString(reason: "contains U+0000")),
            ("30 05 0003 61 C3 28", .invalidString(reason: "not well-formed UTF-8")),
            ("30 05 0003 61 2F 2B", .invalidTopicName("a/+")),
            ("30 02 0000", .invalidTopicName("")),
            ("82 0A 0001 0005 612F232F62 01", .invalidTopicFilter("a/#/b")),
            ("82 08 0001 0003 612F23 03", .invalidQoS(3)),
            ("82 08 0001 0003 612F23 41", .invalidQoS(0x41)),
            ("82 02 0001", .emptySubscriptionList),
            ("A2 02 0001", .emptySubscriptionList),
            ("90 03 0001 03", .invalidReturnCode(3)),
            ("C0 01 00", .trailingBytes(type: 12)),
            ("40 03 000A 00", .trailingBytes(type: 4)),
            ("40 01 00", .truncatedPacket(type: 4)),
            ("20 02 02 00", .invalidFixedHeaderFlags(type: 2, flags: 2)),
            ("20 02 00 06", .invalidReturnCode(6)),
            ("10 0C 0004 4D515454 04 03 0000 0000", .invalidConnectFlags(reason: "reserved flag set")),
            ("10 0C 0004 4D515454 04 42 0000 0000", .invalidConnectFlags(reason: "password without a user name")),
            ("10 0C 0004 4D515454 04 0A 0000 0000", .invalidConnectFlags(reason: "will QoS/retain set without a will")),
            ("10 0C 0004 4D515454 04 1C 0000 0000", .invalidQoS(3)),
        ]
        for (hex, expected) in cases {
            var buffer = ByteBuffer(bytes: Self.bytes(hex))
            #expect(throws: expected, "\(hex)") { try MQTTPacketParser.parse(&buffer, maximumPacketSize: 1 << 20) }
        }
    }

    @Test func refusesToEncodeInvalidPackets() {
        let cases: [MQTTPacket] = [
            .publish(.init(topic: "a/#", payload: ByteBuffer())),
            .publish(.init(topic: "a", payload: ByteBuffer(), qos: .atLeastOnce)),
            .publish(.init(topic: "a", payload: ByteBuffer(), qos: .atLeastOnce, packetID: 0)),
            .puback(packetID: 0),
            .subscribe(.init(packetID: 1, subscriptions: [])),
            .subscribe(.init(packetID: 1, subscriptions: [.init(topicFilter: "a#", qos: .atMostOnce)])),
            .connect(.init(clientID: "c\u{0}")),
            .connect(.init(clientID: "c", password: ByteBuffer(string: "p"))),
        ]
        for packet in cases {
            var out = ByteBuffer()
            #expect(throws: MQTTProtocolError.self, "\(packet)") { try MQTTPacketSerializer.write(packet, into: &out) }
        }
    }

    @Test func pipelineHandlersDecodeByteByByteAndEncode() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([
            ByteToMessageHandler(MQTTPacketDecoder()), MessageToByteHandler(MQTTPacketEncoder()),
        ])
        let stream = Self.bytes("32 09 0003 612F62 000A 6869 C0 00")
        for byte in stream { try channel.writeInbound(ByteBuffer(bytes: [byte])) }
        #expect(
            try channel.readInbound(as: MQTTPacket.self)
                == .publish(.init(topic: "a/b", payload: Self.buffer("hi"), qos: .atLeastOnce, packetID: 10))
        )
        #expect(try channel.readInbound(as: MQTTPacket.self) == .pingreq)
        #expect(try channel.readInbound(as: MQTTPacket.self) == nil)
        try channel.writeOutbound(MQTTPacket.puback(packetID: 10))
        #expect(
            try channel.readOutbound(as: ByteBuffer.self).map { Array($0.readableBytesView) }
                == Self.bytes("40 02 000A")
        )
        #expect(try channel.finish().isClean)
    }

    @Test func pipelineSurfacesViolations() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(MQTTPacketDecoder(maximumPacketSize: 16)))
        #expect(throws: MQTTProtocolError.packetTooLarge(size: 19, limit: 16)) {
            try channel.writeInbound(ByteBuffer(bytes: Self.bytes("30 11")))
        }
        _ = try? channel.finish()
    }
}

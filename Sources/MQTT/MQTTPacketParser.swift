import NIOCore

/// Reads whole MQTT packets from a byte stream. Pure (no channel), so it can be fuzzed directly;
/// `MQTTPacketDecoder` wraps it for NIO pipelines.
public enum MQTTPacketParser {
    /// The largest remaining length the 4-byte encoding can express (§2.2.3).
    public static let maximumRemainingLength = 268_435_455

    /// Parses one packet from the front of `buffer`, consuming it; nil (consuming nothing) while
    /// the packet is incomplete. A declared size above `maximumPacketSize` throws as soon as the
    /// length is read, before its body arrives, so a length prefix never allocates.
    public static func parse(
        _ buffer: inout ByteBuffer,
        maximumPacketSize: Int
    ) throws(MQTTProtocolError) -> MQTTPacket? {
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return nil }
        var remaining = 0
        var multiplier = 1
        var headerLength = 1
        while true {
            guard headerLength <= 4 else { throw .malformedRemainingLength }
            guard let byte = buffer.getInteger(at: buffer.readerIndex + headerLength, as: UInt8.self) else {
                return nil
            }
            remaining += Int(byte & 0x7F) * multiplier
            multiplier *= 128
            headerLength += 1
            if byte & 0x80 == 0 { break }
        }
        let total = headerLength + remaining
        guard total <= maximumPacketSize else { throw .packetTooLarge(size: total, limit: maximumPacketSize) }
        guard buffer.readableBytes >= total else { return nil }
        buffer.moveReaderIndex(forwardBy: headerLength)
        var body = buffer.readSlice(length: remaining)!
        let packet = try parseBody(type: first >> 4, flags: first & 0x0F, body: &body)
        guard body.readableBytes == 0 else { throw .trailingBytes(type: first >> 4) }
        return packet
    }

    static func parseBody(type: UInt8, flags: UInt8, body: inout ByteBuffer) throws(MQTTProtocolError) -> MQTTPacket {
        guard let packetType = MQTTPacket.PacketType(rawValue: type) else { throw .reservedPacketType(type) }
        let requiredFlags: UInt8? =
            switch packetType {
            case .publish: nil
            case .pubrel, .subscribe, .unsubscribe: 0b0010
            default: 0
            }
        if let requiredFlags, flags != requiredFlags { throw .invalidFixedHeaderFlags(type: type, flags: flags) }
        switch packetType {
        case .connect: return .connect(try parseConnect(&body))
        case .connack:
            guard let ackFlags = body.readInteger(as: UInt8.self), let code = body.readInteger(as: UInt8.self) else {
                throw .truncatedPacket(type: type)
            }
            guard ackFlags & 0xFE == 0 else { throw .invalidFixedHeaderFlags(type: type, flags: ackFlags) }
            guard let returnCode = MQTTPacket.ConnectReturnCode(rawValue: code) else { throw .invalidReturnCode(code) }
            return .connack(.init(sessionPresent: ackFlags == 1, returnCode: returnCode))
        case .publish: return .publish(try parsePublish(flags: flags, body: &body))
        case .puback: return .puback(packetID: try body.readPacketID(packetType: type))
        case .pubrec: return .pubrec(packetID: try body.readPacketID(packetType: type))
        case .pubrel: return .pubrel(packetID: try body.readPacketID(packetType: type))
        case .pubcomp: return .pubcomp(packetID: try body.readPacketID(packetType: type))
        case .subscribe: return .subscribe(try parseSubscribe(&body))
        case .suback:
            let id = try body.readPacketID(packetType: type)
            var codes: [MQTTPacket.SubscribeReturnCode] = []
            while let raw = body.readInteger(as: UInt8.self) {
                guard let code = MQTTPacket.SubscribeReturnCode(rawValue: raw) else { throw .invalidReturnCode(raw) }
                codes.append(code)
            }
            guard !codes.isEmpty else { throw .emptySubscriptionList }
            return .suback(.init(packetID: id, returnCodes: codes))
        case .unsubscribe:
            let id = try body.readPacketID(packetType: type)
            var filters: [String] = []
            while body.readableBytes > 0 {
                let filter = try body.readMQTTString(packetType: type)
                guard MQTTTopic.isValidFilter(filter) else { throw .invalidTopicFilter(filter) }
                filters.append(filter)
            }
            guard !filters.isEmpty else { throw .emptySubscriptionList }
            return .unsubscribe(.init(packetID: id, topicFilters: filters))
        case .unsuback: return .unsuback(packetID: try body.readPacketID(packetType: type))
        case .pingreq: return .pingreq
        case .pingresp: return .pingresp
        case .disconnect: return .disconnect
        }
    }

    static func parseConnect(_ body: inout ByteBuffer) throws(MQTTProtocolError) -> MQTTPacket.Connect {
        let type = MQTTPacket.PacketType.connect.rawValue
        let name = try body.readMQTTString(packetType: type)
        guard let level = body.readInteger(as: UInt8.self), let flags = body.readInteger(as: UInt8.self),
            let keepAlive = body.readInteger(as: UInt16.self)
        else { throw .truncatedPacket(type: type) }
        guard flags & 0x01 == 0 else { throw .invalidConnectFlags(reason: "reserved flag set") }
        let hasWill = flags & 0x04 != 0
        let willQoSValue = (flags >> 3) & 0x03
        let willRetain = flags & 0x20 != 0
        let hasPassword = flags & 0x40 != 0
        let hasUsername = flags & 0x80 != 0
        guard let willQoS = QoS(rawValue: willQoSValue) else { throw .invalidQoS(willQoSValue) }
        if !hasWill, willQoSValue != 0 || willRetain {
            throw .invalidConnectFlags(reason: "will QoS/retain set without a will")
        }
        if hasPassword, !hasUsername { throw .invalidConnectFlags(reason: "password without a user name") }
        let clientID = try body.readMQTTString(packetType: type)
        var will: MQTTPacket.Will?
        if hasWill {
            let topic = try body.readMQTTString(packetType: type)
            guard MQTTTopic.isValidName(topic) else { throw .invalidTopicName(topic) }
            let message = try body.readMQTTBinary(packetType: type)
            will = .init(topic: topic, message: message, qos: willQoS, retain: willRetain)
        }
        let username = hasUsername ? try body.readMQTTString(packetType: type) : nil
        let password = hasPassword ? try body.readMQTTBinary(packetType: type) : nil
        return .init(
            clientID: clientID,
            cleanSession: flags & 0x02 != 0,
            keepAlive: keepAlive,
            will: will,
            username: username,
            password: password,
            protocolName: name,
            protocolLevel: level
        )
    }

    static func parsePublish(flags: UInt8, body: inout ByteBuffer) throws(MQTTProtocolError) -> MQTTPacket.Publish {
        let type = MQTTPacket.PacketType.publish.rawValue
        let qosValue = (flags >> 1) & 0x03
        guard let qos = QoS(rawValue: qosValue) else { throw .invalidQoS(qosValue) }
        let dup = flags & 0x08 != 0
        if qos == .atMostOnce, dup { throw .invalidFixedHeaderFlags(type: type, flags: flags) }
        let topic = try body.readMQTTString(packetType: type)
        guard MQTTTopic.isValidName(topic) else { throw .invalidTopicName(topic) }
        let id = qos == .atMostOnce ? nil : try body.readPacketID(packetType: type)
        let payload = body.readSlice(length: body.readableBytes)!
        return .init(topic: topic, payload: payload, qos: qos, retain: flags & 0x01 != 0, dup: dup, packetID: id)
    }

    static func parseSubscribe(_ body: inout ByteBuffer) throws(MQTTProtocolError) -> MQTTPacket.Subscribe {
        let type = MQTTPacket.PacketType.subscribe.rawValue
        let id = try body.readPacketID(packetType: type)
        var subscriptions: [MQTTPacket.Subscription] = []
        while body.readableBytes > 0 {
            let filter = try body.readMQTTString(packetType: type)
            guard MQTTTopic.isValidFilter(filter) else { throw .invalidTopicFilter(filter) }
            guard let options = body.readInteger(as: UInt8.self) else { throw .truncatedPacket(type: type) }
            guard options & 0xFC == 0, let qos = QoS(rawValue: options) else { throw .invalidQoS(options) }
            subscriptions.append(.init(topicFilter: filter, qos: qos))
        }
        guard !subscriptions.isEmpty else { throw .emptySubscriptionList }
        return .init(packetID: id, subscriptions: subscriptions)
    }
}

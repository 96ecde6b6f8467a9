import NIOCore

/// Writes MQTT packets, refusing any that would violate the protocol (a wildcard PUBLISH topic,
/// a QoS 1 publish without an id, an empty SUBSCRIBE): sending them would get the connection closed.
public enum MQTTPacketSerializer {
    public static func write(_ packet: MQTTPacket, into out: inout ByteBuffer) throws(MQTTProtocolError) {
        var flags: UInt8 = 0
        switch packet {
        case .publish(let publish):
            try validate(publish)
            flags = (publish.dup ? 0x08 : 0) | publish.qos.rawValue << 1 | (publish.retain ? 0x01 : 0)
        case .pubrel, .subscribe, .unsubscribe:
            flags = 0b0010
        default:
            break
        }
        out.writeInteger(packet.type.rawValue << 4 | flags)
        let length = try bodyLength(packet)
        guard length <= MQTTPacketParser.maximumRemainingLength else {
            throw .packetTooLarge(size: length, limit: MQTTPacketParser.maximumRemainingLength)
        }
        out.writeRemainingLength(length)
        try writeBody(packet, into: &out)
    }

    static func validate(_ publish: MQTTPacket.Publish) throws(MQTTProtocolError) {
        guard MQTTTopic.isValidName(publish.topic) else { throw .invalidTopicName(publish.topic) }
        if publish.qos == .atMostOnce {
            guard publish.packetID == nil, !publish.dup else { throw .invalidFixedHeaderFlags(type: 3, flags: 0x08) }
        } else {
            guard let id = publish.packetID else { throw .zeroPacketID }
            guard id != 0 else { throw .zeroPacketID }
        }
    }

    static func bodyLength(_ packet: MQTTPacket) throws(MQTTProtocolError) -> Int {
        switch packet {
        case .connect(let connect):
            var length = MQTTString.size(connect.protocolName) + 4 + MQTTString.size(connect.clientID)
            if let will = connect.will { length += MQTTString.size(will.topic) + 2 + will.message.readableBytes }
            if let username = connect.username { length += MQTTString.size(username) }
            if let password = connect.password { length += 2 + password.readableBytes }
            return length
        case .connack: return 2
        case .publish(let publish):
            return MQTTString.size(publish.topic) + (publish.packetID == nil ? 0 : 2) + publish.payload.readableBytes
        case .puback, .pubrec, .pubrel, .pubcomp, .unsuback: return 2
        case .subscribe(let subscribe):
            guard !subscribe.subscriptions.isEmpty else { throw .emptySubscriptionList }
            return 2 + subscribe.subscriptions.reduce(0) { $0 + MQTTString.size($1.topicFilter) + 1 }
        case .suback(let suback):
            guard !suback.returnCodes.isEmpty else { throw .emptySubscriptionList }
            return 2 + suback.returnCodes.count
        case .unsubscribe(let unsubscribe):
            guard !unsubscribe.topicFilters.isEmpty else { throw .emptySubscriptionList }
            return 2 + unsubscribe.topicFilters.reduce(0) { $0 + MQTTString.size($1) }
        case .pingreq, .pingresp, .disconnect: return 0
        }
    }

    static func writeBody(_ packet: MQTTPacket, into out: inout ByteBuffer) throws(MQTTProtocolError) {
        switch packet {
        case .connect(let connect):
            try out.writeMQTTString(connect.protocolName)
            out.writeInteger(connect.protocolLevel)
            var flags: UInt8 = connect.cleanSession ? 0x02 : 0
            if let will = connect.will {
                guard MQTTTopic.isValidName(will.topic) else { throw .invalidTopicName(will.topic) }
                flags |= 0x04 | will.qos.rawValue << 3 | (will.retain ? 0x20 : 0)
            }
            if connect.password != nil {
                guard connect.username != nil else {
                    throw .invalidConnectFlags(reason: "password without a user name")
                }
                flags |= 0x40
            }
            if connect.username != nil { flags |= 0x80 }
            out.writeInteger(flags)
            out.writeInteger(connect.keepAlive)
            try out.writeMQTTString(connect.clientID)
            if let will = connect.will {
                try out.writeMQTTString(will.topic)
                try out.writeMQTTBinary(will.message)
            }
            if let username = connect.username { try out.writeMQTTString(username) }
            if let password = connect.password { try out.writeMQTTBinary(password) }
        case .connack(let connack):
            out.writeInteger(UInt8(connack.sessionPresent ? 1 : 0))
            out.writeInteger(connack.returnCode.rawValue)
        case .publish(let publish):
            try out.writeMQTTString(publish.topic)
            if let id = publish.packetID { out.writeInteger(id) }
            out.writeImmutableBuffer(publish.payload)
        case .puback(let id), .pubrec(let id), .pubrel(let id), .pubcomp(let id), .unsuback(let id):
            guard id != 0 else { throw .zeroPacketID }
            out.writeInteger(id)
        case .subscribe(let subscribe):
            guard subscribe.packetID != 0 else { throw .zeroPacketID }
            out.writeInteger(subscribe.packetID)
            for subscription in subscribe.subscriptions {
                guard MQTTTopic.isValidFilter(subscription.topicFilter) else {
                    throw .invalidTopicFilter(subscription.topicFilter)
                }
                try out.writeMQTTString(subscription.topicFilter)
                out.writeInteger(subscription.qos.rawValue)
            }
        case .suback(let suback):
            guard suback.packetID != 0 else { throw .zeroPacketID }
            out.writeInteger(suback.packetID)
            for code in suback.returnCodes { out.writeInteger(code.rawValue) }
        case .unsubscribe(let unsubscribe):
            guard unsubscribe.packetID != 0 else { throw .zeroPacketID }
            out.writeInteger(unsubscribe.packetID)
            for filter in unsubscribe.topicFilters {
                guard MQTTTopic.isValidFilter(filter) else { throw .invalidTopicFilter(filter) }
                try out.writeMQTTString(filter)
            }
        case .pingreq, .pingresp, .disconnect:
            break
        }
    }
}

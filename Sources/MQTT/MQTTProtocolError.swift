/// A violation of MQTT 3.1.1 found while decoding or encoding. Any of them closes the connection
/// (§4.8: "the Server MUST close the Network Connection"). Codes are stable strings for logs.
public enum MQTTProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    case malformedRemainingLength
    case packetTooLarge(size: Int, limit: Int)
    case reservedPacketType(UInt8)
    case invalidFixedHeaderFlags(type: UInt8, flags: UInt8)
    case truncatedPacket(type: UInt8)
    case trailingBytes(type: UInt8)
    case invalidString(reason: String)
    case invalidQoS(UInt8)
    case zeroPacketID
    case invalidTopicName(String)
    case invalidTopicFilter(String)
    case invalidConnectFlags(reason: String)
    case emptySubscriptionList
    case invalidReturnCode(UInt8)

    public var code: String {
        switch self {
        case .malformedRemainingLength: "malformed_remaining_length"
        case .packetTooLarge: "packet_too_large"
        case .reservedPacketType: "reserved_packet_type"
        case .invalidFixedHeaderFlags: "invalid_fixed_header_flags"
        case .truncatedPacket: "truncated_packet"
        case .trailingBytes: "trailing_bytes"
        case .invalidString: "invalid_string"
        case .invalidQoS: "invalid_qos"
        case .zeroPacketID: "zero_packet_id"
        case .invalidTopicName: "invalid_topic_name"
        case .invalidTopicFilter: "invalid_topic_filter"
        case .invalidConnectFlags: "invalid_connect_flags"
        case .emptySubscriptionList: "empty_subscription_list"
        case .invalidReturnCode: "invalid_return_code"
        }
    }

    public var description: String {
        switch self {
        case .malformedRemainingLength: "\(code): remaining length longer than 4 bytes"
        case .packetTooLarge(let size, let limit): "\(code): \(size) bytes exceeds the \(limit)-byte limit"
        case .reservedPacketType(let type): "\(code): packet type \(type) is reserved"
        case .invalidFixedHeaderFlags(let type, let flags):
            "\(code): flags \(flags) are invalid for packet type \(type)"
        case .truncatedPacket(let type): "\(code): packet type \(type) ends before its fields"
        case .trailingBytes(let type): "\(code): packet type \(type) has bytes after its fields"
        case .invalidString(let reason): "\(code): \(reason)"
        case .invalidQoS(let value): "\(code): QoS \(value)"
        case .zeroPacketID: "\(code): packet identifier 0"
        case .invalidTopicName(let topic): "\(code): \(topic.debugDescription)"
        case .invalidTopicFilter(let filter): "\(code): \(filter.debugDescription)"
        case .invalidConnectFlags(let reason): "\(code): \(reason)"
        case .emptySubscriptionList: "\(code): SUBSCRIBE/UNSUBSCRIBE without topic filters"
        case .invalidReturnCode(let value): "\(code): return code \(value)"
        }
    }
}

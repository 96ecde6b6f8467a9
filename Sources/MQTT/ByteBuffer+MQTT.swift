import NIOCore

extension ByteBuffer {
    /// Reads an MQTT UTF-8 string (§1.5.3): 2-byte length, well-formed UTF-8, no U+0000.
    mutating func readMQTTString(packetType: UInt8) throws(MQTTProtocolError) -> String {
        guard let length = readInteger(as: UInt16.self), let slice = readSlice(length: Int(length)) else {
            throw .truncatedPacket(type: packetType)
        }
        // Validated in place, without a copy: every PUBLISH's topic comes through here.
        return try slice.withUnsafeReadableBytes { bytes throws(MQTTProtocolError) in
            if bytes.contains(0) { throw .invalidString(reason: "contains U+0000") }
            guard let string = String(validating: bytes, as: UTF8.self) else {
                throw .invalidString(reason: "not well-formed UTF-8")
            }
            return string
        }
    }

    /// Reads 2-byte-length-prefixed binary data (will message, password).
    mutating func readMQTTBinary(packetType: UInt8) throws(MQTTProtocolError) -> ByteBuffer {
        guard let length = readInteger(as: UInt16.self), let slice = readSlice(length: Int(length)) else {
            throw .truncatedPacket(type: packetType)
        }
        return slice
    }

    mutating func readPacketID(packetType: UInt8) throws(MQTTProtocolError) -> UInt16 {
        guard let id = readInteger(as: UInt16.self) else { throw .truncatedPacket(type: packetType) }
        guard id != 0 else { throw .zeroPacketID }
        return id
    }

    mutating func writeMQTTString(_ string: String) throws(MQTTProtocolError) {
        let count = string.utf8.count
        guard count <= Int(UInt16.max) else { throw .invalidString(reason: "longer than 65,535 bytes") }
        guard !string.utf8.contains(0) else { throw .invalidString(reason: "contains U+0000") }
        writeInteger(UInt16(count))
        writeString(string)
    }

    mutating func writeMQTTBinary(_ bytes: ByteBuffer) throws(MQTTProtocolError) {
        guard bytes.readableBytes <= Int(UInt16.max) else {
            throw .invalidString(reason: "binary field longer than 65,535 bytes")
        }
        writeInteger(UInt16(bytes.readableBytes))
        writeImmutableBuffer(bytes)
    }

    /// The variable-length "remaining length" (§2.2.3), 1–4 bytes.
    mutating func writeRemainingLength(_ length: Int) {
        var value = length
        repeat {
            var byte = UInt8(value & 0x7F)
            value >>= 7
            if value > 0 { byte |= 0x80 }
            writeInteger(byte)
        } while value > 0
    }
}

enum MQTTString {
    /// Encoded size of a string field, length prefix included.
    static func size(_ string: String) -> Int { 2 + string.utf8.count }
}

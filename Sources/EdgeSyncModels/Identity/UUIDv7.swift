/// A UUID of version 7 (RFC 9562): 48-bit Unix milliseconds, version nibble 7, variant `10`.
/// `batch_id` and `journal_epoch` are UUIDv7 so that ids sort by creation time.
public struct UUIDv7: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let bytes: [UInt8]

    /// Wraps 16 bytes when they carry version 7 and variant `10`.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 16, bytes[6] >> 4 == 7, bytes[8] >> 6 == 0b10 else { return nil }
        self.bytes = bytes
    }

    /// Parses the 8-4-4-4-12 hex form (either case) and checks version and variant.
    public init?(_ text: String) {
        let utf8 = Array(text.utf8)
        guard utf8.count == 36 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        var index = 0
        while index < 36 {
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard utf8[index] == UInt8(ascii: "-") else { return nil }
                index += 1
                continue
            }
            guard let high = Hex.value(of: utf8[index]), let low = Hex.value(of: utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self.init(bytes: bytes)
    }

    /// Milliseconds since the Unix epoch encoded in the first 48 bits.
    public var unixMilliseconds: UInt64 {
        bytes[0..<6].reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Lowercase canonical text.
    public var description: String {
        let hex = Hex.encode(bytes)
        let characters = Array(hex)
        return String(characters[0..<8]) + "-" + String(characters[8..<12]) + "-" + String(characters[12..<16])
            + "-" + String(characters[16..<20]) + "-" + String(characters[20..<32])
    }

    public static func < (lhs: UUIDv7, rhs: UUIDv7) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = UUIDv7(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not a UUIDv7: \(text)")
            )
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

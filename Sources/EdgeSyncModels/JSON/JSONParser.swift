/// A strict RFC 8259 parser into `JSONValue`.
///
/// It exists because the wire protocol needs what Foundation's parsers do not give: the integer /
/// floating-point distinction, bounded nesting (hostile input must not exhaust the stack), and
/// errors that say where and why. Whitespace, literals, escapes and UTF-8 are checked strictly.
public struct JSONParser: Sendable {
    /// Deepest array/object nesting accepted. Wire payloads need 4 levels; 128 leaves room for
    /// JSON-valued columns while keeping recursion far from the stack limit.
    public var maximumDepth: Int

    public init(maximumDepth: Int = 128) {
        self.maximumDepth = maximumDepth
    }

    public func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError>? = bytes.withContiguousStorageIfAvailable {
            parseBuffer(UnsafeRawBufferPointer($0))
        }
        if let result { return try result.get() }
        let copy = Array(bytes)
        return try copy.withUnsafeBytes { parseBuffer($0) }.get()
    }

    public func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    private func parseBuffer(_ buffer: UnsafeRawBufferPointer) -> Result<JSONValue, JSONParseError> {
        var reader = Reader(bytes: buffer, maximumDepth: maximumDepth)
        do throws(JSONParseError) {
            reader.skipWhitespace()
            let value = try reader.parseValue(depth: 0)
            reader.skipWhitespace()
            guard reader.index == buffer.count else { throw reader.error(.trailingData) }
            return .success(value)
        } catch {
            return .failure(error)
        }
    }
}

private struct Reader {
    let bytes: UnsafeRawBufferPointer
    let maximumDepth: Int
    var index = 0

    init(bytes: UnsafeRawBufferPointer, maximumDepth: Int) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    func error(_ reason: JSONParseError.Reason) -> JSONParseError {
        JSONParseError(reason: reason, offset: index)
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    func peek() throws(JSONParseError) -> UInt8 {
        guard index < bytes.count else { throw error(.unexpectedEnd) }
        return bytes[index]
    }

    mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        switch try peek() {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error(.unexpectedCharacter)
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error(.unexpectedEnd) }
        let pointer = literal.utf8Start
        for offset in 0..<count where bytes[index + offset] != pointer[offset] {
            throw error(.invalidLiteral)
        }
        index += count
    }

    mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maximumDepth else { throw error(.tooDeep) }
        index += 1
        var members: [JSONObject.Member] = []
        skipWhitespace()
        if try peek() == UInt8(ascii: "}") {
            index += 1
            return .object(JSONObject())
        }
        while true {
            skipWhitespace()
            guard try peek() == UInt8(ascii: "\"") else { throw error(.unexpectedCharacter) }
            let key = try parseString()
            skipWhitespace()
            guard try peek() == UInt8(ascii: ":") else { throw error(.unexpectedCharacter) }
            index += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            members.append(JSONObject.Member(key: key, value: value))
            skipWhitespace()
            let next = try peek()
            index += 1
            if next == UInt8(ascii: "}") { break }
            guard next == UInt8(ascii: ",") else {
                index -= 1
                throw error(.unexpectedCharacter)
            }
        }
        return .object(JSONObject(members: members))
    }

    mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maximumDepth else { throw error(.tooDeep) }
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if try peek() == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            let next = try peek()
            index += 1
            if next == UInt8(ascii: "]") { break }
            guard next == UInt8(ascii: ",") else {
                index -= 1
                throw error(.unexpectedCharacter)
            }
        }
        return .array(elements)
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { throw error(.unexpectedEnd) }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if isDigit(bytes[index]) {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        } else {
            throw error(.invalidNumber)
        }
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            try consumeDigits()
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            try consumeDigits()
        }
        if isInteger, let integer = integerValue(start..<index) { return .integer(integer) }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let double = Double(text) else { throw JSONParseError(reason: .invalidNumber, offset: start) }
        guard double.isFinite else { throw JSONParseError(reason: .nonFiniteNumber, offset: start) }
        return .double(double)
    }

    /// The value of an integer literal already checked by the grammar; nil when it overflows.
    func integerValue(_ range: Range<Int>) -> Int64? {
        var position = range.lowerBound
        let negative = bytes[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        var value: Int64 = 0
        while position < range.upperBound {
            let digit = Int64(bytes[position] - 0x30)
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) =
                negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            if overflow1 || overflow2 { return nil }
            value = next
            position += 1
        }
        return value
    }

    mutating func consumeDigits() throws(JSONParseError) {
        guard index < bytes.count else { throw error(.unexpectedEnd) }
        guard isDigit(bytes[index]) else { throw error(.invalidNumber) }
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
    }

    func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    mutating func parseString() throws(JSONParseError) -> String {
        index += 1
        let start = index
        var highBits: UInt8 = 0
        // Fast path: no escapes, so the bytes between the quotes are the string.
        while index < bytes.count {
            let byte = bytes[index]
            highBits |= byte
            if byte == UInt8(ascii: "\"") {
                let string = try makeString(
                    UnsafeRawBufferPointer(rebasing: bytes[start..<index]),
                    isASCII: highBits < 0x80,
                    offset: start
                )
                index += 1
                return string
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw error(.controlCharacterInString) }
            index += 1
        }
        guard index < bytes.count else { throw error(.unexpectedEnd) }
        var scratch = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
        while true {
            guard index < bytes.count else { throw error(.unexpectedEnd) }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                let result = scratch.withUnsafeBytes { buffer in
                    Result { () throws(JSONParseError) in try makeString(buffer, isASCII: false, offset: start) }
                }
                return try result.get()
            case UInt8(ascii: "\\"):
                index += 1
                try appendEscape(to: &scratch)
            case 0..<0x20:
                throw error(.controlCharacterInString)
            default:
                scratch.append(byte)
                index += 1
            }
        }
    }

    /// Builds a String from UTF-8 and rejects invalid sequences. `String(decoding:)` is the fast
    /// path (it repairs rather than rejects), so a repaired result is detected by comparing bytes.
    func makeString(_ utf8: UnsafeRawBufferPointer, isASCII: Bool, offset: Int) throws(JSONParseError) -> String {
        let typed = utf8.assumingMemoryBound(to: UInt8.self)
        let string = String(decoding: typed, as: UTF8.self)
        if !isASCII, string.utf8.count != typed.count || !string.utf8.elementsEqual(typed) {
            throw JSONParseError(reason: .invalidUTF8, offset: offset)
        }
        return string
    }

    mutating func appendEscape(to scratch: inout [UInt8]) throws(JSONParseError) {
        let byte = try peek()
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(byte)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = UInt32(try readHex4())
            if (0xD800...0xDBFF).contains(scalar) {
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                else { throw error(.loneSurrogate) }
                index += 2
                let low = UInt32(try readHex4())
                guard (0xDC00...0xDFFF).contains(low) else { throw error(.loneSurrogate) }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw error(.loneSurrogate)
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw error(.invalidEscape) }
            scratch.append(contentsOf: UTF8.encode(unicode)!)
        default:
            index -= 1
            throw error(.invalidEscape)
        }
    }

    mutating func readHex4() throws(JSONParseError) -> UInt16 {
        guard index + 4 <= bytes.count else { throw error(.unexpectedEnd) }
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard let digit = Hex.value(of: bytes[index]) else { throw error(.invalidEscape) }
            value = value << 4 | UInt16(digit)
            index += 1
        }
        return value
    }
}

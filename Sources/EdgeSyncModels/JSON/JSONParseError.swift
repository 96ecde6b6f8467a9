/// Why bytes are not acceptable JSON. `offset` is the byte position where parsing stopped.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: String, Sendable, Hashable {
        case unexpectedEnd = "unexpected end of input"
        case unexpectedCharacter = "unexpected character"
        case invalidLiteral = "invalid literal"
        case invalidNumber = "invalid number"
        case nonFiniteNumber = "number out of the finite double range"
        case invalidEscape = "invalid escape sequence"
        case invalidUTF8 = "invalid UTF-8"
        case controlCharacterInString = "unescaped control character in string"
        case loneSurrogate = "unpaired UTF-16 surrogate escape"
        case tooDeep = "nesting too deep"
        case trailingData = "data after the JSON value"
    }

    public var reason: Reason
    public var offset: Int

    public init(reason: Reason, offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    public var description: String { "\(reason.rawValue) at byte \(offset)" }
}

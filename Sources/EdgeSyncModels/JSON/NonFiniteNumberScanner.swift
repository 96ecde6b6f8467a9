/// Finds bare `NaN`, `Infinity` and `-Infinity` tokens outside JSON strings: validation check 2,
/// which runs before parsing so that such payloads get `invalid_number_encoding` rather than the
/// generic `invalid_json` (several JSON libraries emit these tokens for non-finite floats).
public enum NonFiniteNumberScanner {
    /// The byte offset of the first bare non-finite token, or nil.
    public static func firstToken(in bytes: UnsafeRawBufferPointer) -> Int? {
        var inString = false
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if inString {
                if byte == UInt8(ascii: "\\") {
                    index += 2
                    continue
                }
                if byte == UInt8(ascii: "\"") { inString = false }
            } else {
                switch byte {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "N") where matches("NaN", at: index, in: bytes):
                    return index
                case UInt8(ascii: "I") where matches("Infinity", at: index, in: bytes):
                    return index
                default: break
                }
            }
            index += 1
        }
        return nil
    }

    public static func containsToken(_ bytes: some Collection<UInt8>) -> Bool {
        if let found = bytes.withContiguousStorageIfAvailable({ firstToken(in: UnsafeRawBufferPointer($0)) != nil }) {
            return found
        }
        return Array(bytes).withUnsafeBytes { firstToken(in: $0) != nil }
    }

    private static func matches(_ token: StaticString, at index: Int, in bytes: UnsafeRawBufferPointer) -> Bool {
        let count = token.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        let pointer = token.utf8Start
        for offset in 0..<count where bytes[index + offset] != pointer[offset] { return false }
        return true
    }
}

/// The canonical JSON form the fingerprint and `source_pk_hash` are computed over
/// (docs/spec/wire-protocol.md, "Canonical JSON"): object keys sorted bytewise on UTF-8, no whitespace,
/// strings escape only `"`, `\` and control characters, `/` and non-ASCII written as they are.
///
/// Written by hand on purpose: `JSONEncoder` output (key order, escaping of `/`, number forms)
/// is not specified and differs between platforms.
public enum CanonicalJSON {
    public static func bytes(of value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        write(value, to: &out)
        return out
    }

    public static func string(of value: JSONValue) -> String {
        String(decoding: bytes(of: value), as: UTF8.self)
    }

    public static func string(of value: JSONValue, style: Style) -> String {
        var out: [UInt8] = []
        write(value, style: style, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func write(_ value: JSONValue, to out: inout [UInt8]) {
        write(value, style: .canonical, to: &out)
    }

    /// How a document is written: the canonical form hashes are computed over, or the typed form
    /// the HTTP API answers with (members in their order, every REAL with a fraction or exponent
    /// so that `40.0` stays distinguishable from the INTEGER `40`).
    public enum Style: Sendable {
        case canonical
        case typed
    }

    public static func write(_ value: JSONValue, style: Style, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let bool): out.append(contentsOf: (bool ? "true" : "false").utf8)
        case .integer(let integer): writeInteger(integer, to: &out)
        case .double(let double): writeDouble(double, style: style, to: &out)
        case .string(let string): writeString(string, to: &out)
        case .array(let array):
            out.append(UInt8(ascii: "["))
            for (offset, element) in array.enumerated() {
                if offset > 0 { out.append(UInt8(ascii: ",")) }
                write(element, style: style, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            let members =
                style == .canonical
                ? object.members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) } : object.members
            for (offset, member) in members.enumerated() {
                if offset > 0 { out.append(UInt8(ascii: ",")) }
                writeString(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                write(member.value, style: style, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Canonical: integral doubles inside the exact range print without a fraction, like integers.
    /// Both styles otherwise use the shortest round-tripping form (`40.0`, `0.1`, `1e+300`).
    /// Non-finite values have no JSON form and become `null`.
    static func writeDouble(_ double: Double, style: Style, to out: inout [UInt8]) {
        guard double.isFinite else {
            out.append(contentsOf: "null".utf8)
            return
        }
        if style == .canonical, double == double.rounded(), abs(double) < 9_007_199_254_740_992 {
            writeInteger(Int64(double), to: &out)
        } else {
            out.append(contentsOf: double.description.utf8)
        }
    }

    /// A JSON string; runs of bytes that need no escape go in one copy (most text has none).
    public static func writeString(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { bytes in
            var start = 0
            for index in bytes.indices where needsEscape(bytes[index]) {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                writeEscape(bytes[index], to: &out)
                start = index + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    private static func writeEscape(_ byte: UInt8, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\\"))
        switch byte {
        case 0x08: out.append(UInt8(ascii: "b"))
        case 0x0C: out.append(UInt8(ascii: "f"))
        case 0x0A: out.append(UInt8(ascii: "n"))
        case 0x0D: out.append(UInt8(ascii: "r"))
        case 0x09: out.append(UInt8(ascii: "t"))
        case 0..<0x20:
            out.append(contentsOf: "u00".utf8)
            out.append(contentsOf: Hex.encode([byte]).utf8)
        default: out.append(byte)
        }
    }

    /// An integer's decimal digits, written without a `String` in between.
    public static func writeInteger(_ integer: Int64, to out: inout [UInt8]) {
        if integer < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = integer.magnitude
        guard magnitude >= 10 else {
            out.append(UInt8(ascii: "0") + UInt8(magnitude))
            return
        }
        // UInt64.max has 20 digits.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var first = digits.count
            while magnitude > 0 {
                first -= 1
                digits[first] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[first...]))
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An instant with nanosecond precision, parsed from and printed as RFC 3339.
///
/// The protocol compares timestamps as instants, never as strings: `…:01Z`, `…:01.000Z` and
/// `…:02+01:00`-style offsets of the same instant are equal.
public struct Timestamp: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public var seconds: Int64
    /// 0 ..< 1_000_000_000.
    public var nanoseconds: Int32

    public init(seconds: Int64, nanoseconds: Int32 = 0) {
        self.seconds = seconds + Int64(nanoseconds / 1_000_000_000)
        var nanos = nanoseconds % 1_000_000_000
        if nanos < 0 {
            nanos += 1_000_000_000
            self.seconds -= 1
        }
        self.nanoseconds = nanos
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, fraction up to 9 digits. `T`/`Z` may be
    /// lowercase (RFC 3339 §5.6). A leap second (`:60`) is not accepted: SQLite and the mirror
    /// tables cannot represent it.
    public init?(rfc3339 text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20 else { return nil }
        var reader = DigitReader(bytes: bytes)
        guard let year = reader.number(4), reader.expect(UInt8(ascii: "-")),
            let month = reader.number(2), reader.expect(UInt8(ascii: "-")),
            let day = reader.number(2), reader.expect(UInt8(ascii: "T"), orLower: true),
            let hour = reader.number(2), reader.expect(UInt8(ascii: ":")),
            let minute = reader.number(2), reader.expect(UInt8(ascii: ":")),
            let second = reader.number(2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= Timestamp.daysIn(month: month, year: year),
            hour < 24, minute < 60, second < 60
        else { return nil }
        var nanos: Int64 = 0
        if reader.expect(UInt8(ascii: ".")) {
            var digits = 0
            while let digit = reader.digit() {
                guard digits < 9 else { return nil }
                nanos = nanos * 10 + Int64(digit)
                digits += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<9 { nanos *= 10 }
        }
        var offsetSeconds: Int64 = 0
        if reader.expect(UInt8(ascii: "Z"), orLower: true) {
            offsetSeconds = 0
        } else if let sign = reader.sign(), let offsetHour = reader.number(2), reader.expect(UInt8(ascii: ":")),
            let offsetMinute = reader.number(2), offsetHour < 24, offsetMinute < 60
        {
            offsetSeconds = sign * Int64(offsetHour * 3600 + offsetMinute * 60)
        } else {
            return nil
        }
        guard reader.atEnd else { return nil }
        let days = Timestamp.daysFromCivil(year: year, month: month, day: day)
        let local = days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        self.init(seconds: local - offsetSeconds, nanoseconds: Int32(nanos))
    }

    /// RFC 3339 in UTC with `Z`; the fraction is printed only when non-zero, without trailing zeros.
    public var description: String { text(fixedFraction: false) }

    /// RFC 3339 in UTC with all nine fraction digits, so text order is time order (for columns
    /// other tools sort on).
    public var sortableDescription: String { text(fixedFraction: true) }

    private func text(fixedFraction: Bool) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = Timestamp.civilFromDays(days)
        var text = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T"
        text += pad(Int(secondOfDay / 3600), 2) + ":" + pad(Int(secondOfDay % 3600 / 60), 2) + ":"
        text += pad(Int(secondOfDay % 60), 2)
        if nanoseconds > 0 || fixedFraction {
            var fraction = pad(Int(nanoseconds), 9)
            while !fixedFraction, fraction.hasSuffix("0") { fraction.removeLast() }
            text += "." + fraction
        }
        return text + "Z"
    }

    /// The wall clock, to the nanosecond.
    public static var now: Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(seconds: Int64(spec.tv_sec), nanoseconds: Int32(spec.tv_nsec))
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = Timestamp(rfc3339: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not an RFC 3339 timestamp: \(text)")
            )
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    private func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civilFromDays(_ days: Int64) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }
}

private struct DigitReader {
    let bytes: [UInt8]
    var index = 0

    var atEnd: Bool { index == bytes.count }

    mutating func digit() -> Int? {
        guard index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 else { return nil }
        defer { index += 1 }
        return Int(bytes[index] - 0x30)
    }

    mutating func number(_ width: Int) -> Int? {
        var value = 0
        for _ in 0..<width {
            guard let digit = digit() else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    mutating func expect(_ byte: UInt8, orLower: Bool = false) -> Bool {
        guard index < bytes.count else { return false }
        let found = bytes[index]
        guard found == byte || (orLower && found == byte | 0x20) else { return false }
        index += 1
        return true
    }

    mutating func sign() -> Int64? {
        if expect(UInt8(ascii: "+")) { return 1 }
        if expect(UInt8(ascii: "-")) { return -1 }
        return nil
    }
}

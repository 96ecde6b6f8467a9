import EdgeSyncModels

/// A telemetry table's time column as an instant: RFC 3339 text, or Unix seconds (milliseconds
/// when the number is too large for seconds). It is data: samples are sent in journal order,
/// so a clock that jumps never holds back or drops other samples.
enum TelemetryTime {
    static func instant(_ value: SQLiteValue) -> Timestamp? {
        switch value {
        case .text(let text): return Timestamp(rfc3339: text) ?? Double(text).flatMap(unixInstant)
        case .integer(let number): return unixInstant(Double(number))
        case .real(let number): return unixInstant(number)
        case .null, .blob: return nil
        }
    }

    static func unixInstant(_ number: Double) -> Timestamp? {
        guard number.isFinite, abs(number) < 1e15 else { return nil }
        let seconds = number > 1e11 ? number / 1000 : number
        let whole = seconds.rounded(.down)
        return Timestamp(seconds: Int64(whole), nanoseconds: Int32((seconds - whole) * 1e9))
    }
}

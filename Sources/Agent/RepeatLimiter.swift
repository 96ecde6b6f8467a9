/// Lets a repeated warning or error through once per `window` and counts the copies in between,
/// so a failure that recurs on every flush is one log line a minute with its count, not a flood.
struct RepeatLimiter: Sendable {
    /// Default 60 s.
    var window: Duration = .seconds(60)
    /// Keys remembered at most; past it the quiet ones are forgotten.
    var capacity = 256
    private var seen: [String: (since: ContinuousClock.Instant, suppressed: Int)] = [:]

    init(window: Duration = .seconds(60)) {
        self.window = window
    }

    /// nil when `key` was let through less than `window` ago (this copy is counted); otherwise
    /// the copies suppressed since it last was.
    mutating func admit(_ key: String, at now: ContinuousClock.Instant) -> Int? {
        if let entry = seen[key], now - entry.since < window {
            seen[key]?.suppressed += 1
            return nil
        }
        if seen.count >= capacity { seen = seen.filter { now - $0.value.since < window } }
        let suppressed = seen[key]?.suppressed ?? 0
        seen[key] = (now, 0)
        return suppressed
    }
}

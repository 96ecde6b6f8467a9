import EdgeSyncModels
import Foundation
import NIOPosix

/// Password checks at CONNECT, bounded so that guessing cannot starve the server:
///
/// - each check runs on NIO's blocking pool, one at a time, never on the threads every task
///   shares (PBKDF2 takes milliseconds of CPU);
/// - an unknown device name costs the same as a known one (a check against a throw-away hash),
///   so names cannot be told apart by timing;
/// - failures are counted per address and per device name at an address; past the limit, that
///   source is refused without a check until its lockout ends (doubling up to the maximum).
public actor AuthenticationThrottle {
    public struct Limits: Sendable, Hashable {
        /// Failures from one address within `window` before it is locked out. Default 30.
        public var failuresPerAddress = 30
        /// Failures for one device name from one address within `window`. Default 10.
        public var failuresPerDevice = 10
        /// Default 5 minutes.
        public var window: Duration = .seconds(300)
        /// The first lockout; each next one doubles, up to `maximumLockout`. Defaults 1 and 15 minutes.
        public var lockout: Duration = .seconds(60)
        public var maximumLockout: Duration = .seconds(900)

        public init() {}
    }

    /// What the throttle decided about a source after a failure.
    public enum Verdict: Sendable, Hashable {
        case allowed
        /// Newly locked out until that instant.
        case lockedOut(until: ContinuousClock.Instant)
    }

    struct Source {
        var failures: [ContinuousClock.Instant] = []
        var lockedUntil: ContinuousClock.Instant?
        var lockouts = 0
    }

    public let limits: Limits
    private var sources: [String: Source] = [:]
    private var checking = false
    /// Password checks run, for tests: an unknown name must cost one too.
    private(set) var checks = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private static let decoy = Secrets.passwordHash(Secrets.randomToken())

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    static func addressKey(_ address: String) -> String { "address " + address }
    static func deviceKey(_ name: String, _ address: String) -> String { "device \(name) at \(address)" }

    /// Whether the address, or this device name at it, is locked out now.
    public func isLockedOut(name: String, address: String, now: ContinuousClock.Instant = .now) -> Bool {
        [Self.addressKey(address), Self.deviceKey(name, address)].contains { key in
            sources[key]?.lockedUntil.map { $0 > now } ?? false
        }
    }

    /// Checks `password` against `stored` (nil: an unknown device, or one without a password,
    /// checked against a decoy at the same cost) off the shared threads, one check at a time.
    public func verify(_ password: [UInt8], against stored: String?) async -> Bool {
        if checking { await withCheckedContinuation { waiting.append($0) } }
        checking = true
        defer {
            if waiting.isEmpty { checking = false } else { waiting.removeFirst().resume() }
        }
        let hash = stored ?? Self.decoy
        checks += 1
        let matches =
            (try? await NIOThreadPool.singleton.runIfActive { Secrets.verifyPassword(password, against: hash) })
        return stored != nil && matches == true
    }

    /// Counts a failure; the verdict says whether it locked the source out.
    public func recordFailure(name: String, address: String, now: ContinuousClock.Instant = .now) -> Verdict {
        var verdict = Verdict.allowed
        for (key, limit) in [
            (Self.addressKey(address), limits.failuresPerAddress),
            (Self.deviceKey(name, address), limits.failuresPerDevice),
        ] {
            var source = sources[key] ?? Source()
            source.failures = source.failures.filter { now - $0 < limits.window } + [now]
            if source.failures.count >= limit {
                let length = min(limits.lockout * (1 << min(source.lockouts, 20)), limits.maximumLockout)
                source.lockedUntil = now + length
                source.lockouts += 1
                source.failures = []
                verdict = .lockedOut(until: now + length)
            }
            sources[key] = source
        }
        forgetQuietSources(now: now)
        return verdict
    }

    /// A success clears the device's failures at that address (not the address's).
    public func recordSuccess(name: String, address: String) {
        sources[Self.deviceKey(name, address)] = nil
    }

    /// Bounded memory: sources with no recent failure and no lockout left are dropped.
    private func forgetQuietSources(now: ContinuousClock.Instant) {
        guard sources.count > 10_000 else { return }
        sources = sources.filter { _, source in
            (source.lockedUntil.map { $0 > now } ?? false) || source.failures.contains { now - $0 < limits.window }
        }
    }
}

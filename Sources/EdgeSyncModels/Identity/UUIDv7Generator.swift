import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Generates UUIDv7 values that strictly increase within the process, even when many are made in
/// one millisecond or the wall clock steps backwards (RFC 9562 §6.2, method 1: a 42-bit counter
/// in `rand_a` and the top of `rand_b`, seeded randomly each new millisecond).
public final class UUIDv7Generator: Sendable {
    /// The process-wide generator; ids from it are ordered across all callers.
    public static let shared = UUIDv7Generator()

    private struct State {
        var lastMilliseconds: UInt64 = 0
        var counter: UInt64 = 0
    }

    private static let counterBits: UInt64 = 42
    private static let counterLimit: UInt64 = 1 << counterBits

    private let state = Mutex(State())
    private let clock: @Sendable () -> UInt64
    private let random: @Sendable () -> UInt64

    /// - Parameters:
    ///   - clock: Unix time in milliseconds; the system clock by default.
    ///   - random: a source of random 64-bit values; the system generator by default.
    public init(
        clock: @escaping @Sendable () -> UInt64 = UUIDv7Generator.systemMilliseconds,
        random: @escaping @Sendable () -> UInt64 = { UInt64.random(in: .min ... .max) }
    ) {
        self.clock = clock
        self.random = random
    }

    public func next() -> UUIDv7 {
        let now = clock()
        let seed = random()
        let tail = random()
        let (milliseconds, counter) = state.withLock { state -> (UInt64, UInt64) in
            if now > state.lastMilliseconds {
                state.lastMilliseconds = now
                // The top counter bit starts clear so a burst within one millisecond has room.
                state.counter = seed & (Self.counterLimit / 2 - 1)
            } else {
                state.counter += 1
                if state.counter >= Self.counterLimit {
                    state.lastMilliseconds += 1
                    state.counter = seed & (Self.counterLimit / 2 - 1)
                }
            }
            return (state.lastMilliseconds, state.counter)
        }
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (40 - 8 * UInt64(index))) }
        bytes[6] = 0x70 | UInt8(truncatingIfNeeded: counter >> 38) & 0x0F
        bytes[7] = UInt8(truncatingIfNeeded: counter >> 30)
        bytes[8] = 0x80 | UInt8(truncatingIfNeeded: counter >> 24) & 0x3F
        bytes[9] = UInt8(truncatingIfNeeded: counter >> 16)
        bytes[10] = UInt8(truncatingIfNeeded: counter >> 8)
        bytes[11] = UInt8(truncatingIfNeeded: counter)
        for index in 12..<16 { bytes[index] = UInt8(truncatingIfNeeded: tail >> (8 * UInt64(index - 12))) }
        return UUIDv7(bytes: bytes)!
    }

    @Sendable public static func systemMilliseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UInt64(spec.tv_sec) * 1000 + UInt64(spec.tv_nsec) / 1_000_000
    }
}

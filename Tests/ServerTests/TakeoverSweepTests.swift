import Testing

@testable import Server

/// The takeover sweep's decision (`MQTTIngress.released`): which sessions held here a read of the
/// store that found them newer at another replica lets go.
@Suite("Takeover sweep")
struct TakeoverSweepTests {
    /// The interleaving of `203f680`: while the sweep read the store, `b` reconnected here and `c`
    /// connected here for the first time. The rows the read saw at the other replica are older
    /// than those sessions, so only `a`, held here since before the read, is let go.
    @Test func onlySessionsHeldBeforeTheReadAreLetGo() {
        let released = MQTTIngress.released(
            ["a", "b", "c", "d"],
            heldBefore: ["a": "epoch-1", "b": "epoch-2"],
            heldNow: ["a": "epoch-1", "b": "epoch-3", "c": "epoch-4"]
        )
        #expect(released == ["a"], "d is not held here at all")
    }

    @Test func nothingMovedNothingReleased() {
        #expect(MQTTIngress.released([], heldBefore: ["a": "e"], heldNow: ["a": "e"]).isEmpty)
        #expect(MQTTIngress.released(["a"], heldBefore: ["a": "e"], heldNow: [:]).isEmpty, "closed meanwhile")
    }
}

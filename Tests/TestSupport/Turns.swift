import Testing

/// Work that would oversubscribe a 2-core machine takes turns: one holder at a time per gate.
///
/// - `heavyProcesses`: tests that start several real processes (a server, agents, CLIs), so the
///   machine never runs two such stacks beside the timing-sensitive tests.
/// - `cpuBound`: long CPU loops (fuzzers, generators). Swift's cooperative pool has one thread per
///   core; two such loops at once would leave no thread for every other test's I/O. They also
///   yield inside their loops (`yieldNow(round:every:)`).
///
/// A test that holds a turn for long says so (`Turns: … holds …`): when one hangs, every test
/// waiting for its gate hangs behind it, and `scripts/test-with-watchdog` names the holder from
/// these lines.
public actor Turns {
    public static let heavyProcesses = Turns(name: "heavyProcesses")
    public static let cpuBound = Turns(name: "cpuBound")

    /// How long a turn is held before it is reported, and again each time after.
    static let reportEvery: Duration = .seconds(120)

    private let name: String
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    private init(name: String) {
        self.name = name
    }

    public func run<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        }
        busy = true
        defer {
            if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
        }
        let holder = Test.current?.name ?? "a test"
        let watch = Task { [name] in
            let start = ContinuousClock.now
            while (try? await Task.sleep(for: Self.reportEvery)) != nil {
                print("Turns: \(holder) holds \(name) for \(ContinuousClock.now - start)")
            }
        }
        defer { watch.cancel() }
        return try await body()
    }
}

/// Yields the cooperative thread every `period` rounds of a CPU loop, so the other tests' tasks
/// run in between.
public func yieldNow(round: Int, every period: Int = 256) async {
    if round % period == 0 { await Task.yield() }
}

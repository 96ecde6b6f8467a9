/// Work that would oversubscribe a 2-core machine takes turns: one holder at a time per gate.
///
/// - `heavyProcesses`: tests that start several real processes (a server, agents, CLIs), so the
///   machine never runs two such stacks beside the timing-sensitive tests.
/// - `cpuBound`: long CPU loops (fuzzers, generators). Swift's cooperative pool has one thread per
///   core; two such loops at once would leave no thread for every other test's I/O. They also
///   yield inside their loops (`yieldNow(round:every:)`).
public actor Turns {
    public static let heavyProcesses = Turns()
    public static let cpuBound = Turns()

    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public func run<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        }
        busy = true
        defer {
            if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
        }
        return try await body()
    }
}

/// Yields the cooperative thread every `period` rounds of a CPU loop, so the other tests' tasks
/// run in between.
public func yieldNow(round: Int, every period: Int = 256) async {
    if round % period == 0 { await Task.yield() }
}

/// Tests that start several real processes (a server, agents, CLIs) take turns, so the machine
/// (2 cores in CI) is never running two such stacks beside the timing-sensitive tests.
public actor HeavyProcesses {
    public static let gate = HeavyProcesses()

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

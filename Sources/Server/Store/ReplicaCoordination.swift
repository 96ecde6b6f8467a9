import Synchronization

/// How the servers sharing a store wake each other between their polls, and which one runs the
/// sweeps (backpressure resume, control resend, expiries): exactly one at a time, taken over
/// when it dies.
public protocol ReplicaCoordination: Sendable {
    /// Runs until cancelled; calls `wake` when another replica may have work for this one (a
    /// control for a device connected here, a device that connected elsewhere). Wakes may be
    /// lost (a reconnect): the replica polls anyway.
    func run(wake: @escaping @Sendable () -> Void) async

    /// Whether this replica runs the sweeps now.
    var holdsSweeps: Bool { get }
}

/// The only server of its store (SQLite): nobody to wake, and the sweeps are always its own.
public struct SoleReplica: ReplicaCoordination {
    public init() {}

    public func run(wake: @escaping @Sendable () -> Void) async {
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3_600)) }
    }

    public var holdsSweeps: Bool { true }
}

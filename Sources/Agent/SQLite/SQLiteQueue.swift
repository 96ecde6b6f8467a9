import Dispatch

/// A connection confined to its own serial queue. SQLite calls block (disk I/O, a busy wait of
/// up to the busy timeout), so they run there and never on Swift's cooperative threads, which
/// keep the MQTT session and the controls moving meanwhile.
public final class SQLiteQueue: @unchecked Sendable {
    private let connection: SQLiteDatabase
    private let queue: DispatchQueue
    public var path: String { connection.path }

    public init(_ connection: SQLiteDatabase, label: String) {
        self.connection = connection
        queue = DispatchQueue(label: "edge-agent.sqlite." + label)
    }

    /// Runs `body` on the connection's queue and returns its result.
    @discardableResult
    public func run<T: Sendable>(_ body: @escaping @Sendable (SQLiteDatabase) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body(self.connection) }) }
        }
    }

    /// Runs `body` in one immediate transaction on the connection's queue.
    @discardableResult
    public func write<T: Sendable>(_ body: @escaping @Sendable (SQLiteDatabase) throws -> T) async throws -> T {
        try await run { connection in try connection.transaction { try body(connection) } }
    }

    /// Runs `body` in one read transaction (one snapshot of the database).
    public func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteDatabase) throws -> T) async throws -> T {
        try await run { connection in try connection.transaction(immediate: false) { try body(connection) } }
    }

    /// The same, blocking the caller: for the CLI's one-shot commands, never inside the agent.
    public func runNow<T>(_ body: (SQLiteDatabase) throws -> T) throws -> T {
        try queue.sync { try body(connection) }
    }
}

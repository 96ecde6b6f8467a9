import EdgeSyncModels
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// The store on PostgreSQL, shared by every replica: postgres-nio's pooled `PostgresClient`, and
/// as many transaction threads as connections. Writes run at READ COMMITTED with row locks
/// where the store serializes (a lineage, a review); a transaction that loses a race (a
/// concurrent insert of the same key, a deadlock, a lock wait past `lock_timeout`) or whose
/// connection was cut before its COMMIT was sent is run again from the start.
public final class PostgresBackend: SQLBackend {
    public let dialect: any SQLDialect
    public let configuration: PostgresStoreConfiguration
    let client: PostgresClient
    private let threads: NIOThreadPool
    private let clientTask: Task<Void, Never>
    private let closed = Mutex(false)
    private let receipts = PostgresWriteReceipts()
    let logger: Logger

    /// How often a transaction is tried, and the longest pause between tries: together about
    /// 30 s, so a database restart or failover stalls writes instead of failing them.
    static let maximumAttempts = 24
    static let maximumBackoff = Duration.seconds(2)

    private init(configuration: PostgresStoreConfiguration, applicationName: String, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        dialect = PostgresDialect(
            lockTimeoutMilliseconds: configuration.lockTimeoutMilliseconds,
            readerRole: configuration.readerRole
        )
        var clientConfiguration = PostgresClient.Configuration(
            host: configuration.host,
            port: configuration.port,
            username: configuration.username,
            password: configuration.password,
            database: configuration.database,
            tls: Self.tls(configuration)
        )
        clientConfiguration.options.maximumConnections = configuration.poolSize
        clientConfiguration.options.connectTimeout = .seconds(5)
        clientConfiguration.options.additionalStartupParameters = [("application_name", applicationName)]
        client = PostgresClient(configuration: clientConfiguration, backgroundLogger: logger)
        let client = self.client
        // Started at once, so that the pool runs before the first lease.
        clientTask = Task.immediate { await client.run() }
        threads = NIOThreadPool(numberOfThreads: configuration.poolSize)
        threads.start()
    }

    /// Connects, and migrates the database under an advisory lock (one replica at a time).
    public static func open(
        _ configuration: PostgresStoreConfiguration,
        applicationName: String = "edgesync",
        logger: Logger = Logger(label: "edgesync.store")
    ) async throws -> PostgresBackend {
        let backend = PostgresBackend(configuration: configuration, applicationName: applicationName, logger: logger)
        do {
            try await backend.migrate()
        } catch {
            await backend.close()
            throw backend.dialect.storeError(error)
        }
        return backend
    }

    public func probe() async -> Bool {
        let client = self.client
        let logger = self.logger
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                (try? await client.withConnection { try await $0.query("SELECT 1", logger: logger) }) != nil
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(2))
                return false
            }
            let answered = await group.next() ?? false
            group.cancelAll()
            return answered
        }
    }

    public func close() async {
        guard
            closed.withLock({ closed in
                defer { closed = true }
                return !closed
            })
        else { return }
        clientTask.cancel()
        await clientTask.value
        try? await threads.shutdownGracefully()
    }

    @discardableResult
    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLTransaction) throws -> T) async throws -> T {
        try await transaction(readOnly: false, body)
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLTransaction) throws -> T) async throws -> T {
        try await transaction(readOnly: true, body)
    }

    private func transaction<T: Sendable>(
        readOnly: Bool,
        _ body: @escaping @Sendable (any SQLTransaction) throws -> T
    ) async throws -> T {
        let dialect = self.dialect
        let logger = self.logger
        var attempt = 1
        while true {
            let outcome: PostgresTransaction.Outcome<T>
            do {
                let receipt = readOnly ? nil : receipts.next()
                outcome = try await withConnection { connection in
                    PostgresTransaction.run(
                        on: connection,
                        dialect: dialect,
                        readOnly: readOnly,
                        receipt: receipt,
                        logger: logger
                    ) { try body($0) }
                }
            } catch {
                // No connection (the database is down or restarting): wait for one.
                outcome = .failed(error)
            }
            switch outcome {
            case .committed(let result):
                return result
            case .uncertain(let result, let receipt):
                let didCommit: Bool
                do {
                    didCommit = try await committed(receipt)
                } catch let error where !(error is CancellationError) {
                    throw StoreError(
                        .unavailable,
                        "the store was cut off while committing and did not say whether the write took effect; "
                            + "retry (a repeated batch is deduplicated): \(dialect.message(of: error))"
                    )
                }
                logger.notice(
                    "a COMMIT was cut off by a lost connection",
                    metadata: ["receipt": "\(receipt.token)", "committed": "\(didCommit)"]
                )
                if didCommit { return result }
            case .failed(let error):
                // A cancelled caller (a shutdown) stops here, as itself rather than a store failure.
                if Task.isCancelled { throw CancellationError() }
                guard attempt < Self.maximumAttempts, PostgresDialect.isRetryable(error) else {
                    throw dialect.storeError(error)
                }
            }
            try await Task.sleep(for: Self.backoff(attempt))
            attempt += 1
        }
    }

    static func backoff(_ attempt: Int) -> Duration {
        min(.milliseconds(10 << min(attempt, 10)), maximumBackoff)
    }

    /// Whether the transaction with `receipt`, whose COMMIT was cut off, committed: asked of the
    /// database once it answers again.
    private func committed(_ receipt: PostgresWriteReceipt) async throws -> Bool {
        var attempt = 1
        while true {
            do {
                let dialect = self.dialect
                let logger = self.logger
                // A fence whose own COMMIT was cut off is asked about again.
                return try await withConnection { connection in
                    try PostgresTransaction.run(on: connection, dialect: dialect, readOnly: false, logger: logger) {
                        try PostgresWriteReceipt.committed(receipt.token, $0)
                    }
                    .get()
                }
            } catch  where attempt < Self.maximumAttempts && PostgresDialect.isRetryable(error) {
                try await Task.sleep(for: Self.backoff(attempt))
                attempt += 1
            }
        }
    }

    /// Runs `body` on a transaction thread with a leased connection.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await client.withConnection { connection in
            try await self.threads.runIfActive { try body(connection) }
        }
    }

    private func migrate() async throws {
        let logger = self.logger
        let dialect = self.dialect
        try await withConnection { connection in
            let session = PostgresTransaction(connection: connection, dialect: dialect, readOnly: false, logger: logger)
            _ = try session.execute("SELECT pg_advisory_lock(?)", [.integer(PostgresMigrations.lockKey)])
            defer { _ = try? session.execute("SELECT pg_advisory_unlock(?)", [.integer(PostgresMigrations.lockKey)]) }
            try session.execute(
                "CREATE TABLE IF NOT EXISTS schema_migration (name text PRIMARY KEY, applied_at bigint NOT NULL)"
            )
            let applied = Set(try session.strings("SELECT name FROM schema_migration"))
            for migration in PostgresMigrations.all where !applied.contains(migration.name) {
                try PostgresTransaction.run(on: connection, dialect: dialect, readOnly: false, logger: logger) { tx in
                    for statement in migration.statements { try tx.execute(statement) }
                    _ = try tx.execute(
                        "INSERT INTO schema_migration (name, applied_at) VALUES (?, ?)",
                        [.text(migration.name), .integer(Timestamp.now.ns)]
                    )
                }
                .get()
                logger.info("store migrated", metadata: ["migration": "\(migration.name)"])
            }
        }
    }

    static func tls(_ configuration: PostgresStoreConfiguration) -> PostgresClient.Configuration.TLS {
        guard let (tls, required) = configuration.tlsSettings else { return .disable }
        return required ? .require(tls) : .prefer(tls)
    }
}

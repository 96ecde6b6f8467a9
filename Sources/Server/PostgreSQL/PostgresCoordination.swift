import EdgeSyncModels
import Logging
import NIOSSL
import PostgresNIO
import Synchronization

/// Replicas on one PostgreSQL database: a connection of its own per replica (not from the pool)
/// LISTENs for the store's notifications (sent at COMMIT) and holds the sweep lock, a
/// session-level advisory lock, that PostgreSQL releases when the connection ends: a replica
/// that dies (or loses the database) gives the sweeps up, and another takes them within a
/// second. While the connection is down the replica neither sweeps nor hears wakes; its polls
/// go on.
final class PostgresCoordination: ReplicaCoordination {
    let configuration: PostgresStoreConfiguration
    let applicationName: String
    let logger: Logger
    private let leader = Atomic<Bool>(false)

    /// `pg_advisory_lock` key of the sweeps.
    static let sweepLockKey: Int64 = 0x65_64_67_65_73_77_65_70
    static let channels = [SQLGovernanceStore.controlChannel, SQLGovernanceStore.sessionChannel]

    init(configuration: PostgresStoreConfiguration, applicationName: String, logger: Logger) {
        self.configuration = configuration
        self.applicationName = applicationName
        self.logger = logger
    }

    var holdsSweeps: Bool { leader.load(ordering: .acquiring) }

    func run(wake: @escaping @Sendable () -> Void) async {
        var attempt = 0
        while !Task.isCancelled {
            do {
                let connection = try await connect()
                attempt = 0
                // Notifications sent while this replica was not listening are lost: poll now.
                wake()
                await withThrowingTaskGroup(of: Void.self) { group in
                    for channel in Self.channels {
                        group.addTask {
                            try await connection.listen(on: channel) { notifications in
                                for try await _ in notifications { wake() }
                            }
                        }
                    }
                    group.addTask { try await self.holdSweepLock(connection) }
                    // The first to end (the connection failed, or cancellation) ends them all.
                    _ = try? await group.next()
                    group.cancelAll()
                }
                leader.store(false, ordering: .releasing)
                try? await connection.close()
            } catch {
                leader.store(false, ordering: .releasing)
                if attempt == 0 {
                    logger.warning("replica coordination connection failed", metadata: ["error": "\(error)"])
                }
            }
            attempt += 1
            try? await Task.sleep(for: min(.milliseconds(100 << min(attempt, 5)), .seconds(2)))
        }
    }

    /// Tries for the sweep lock every interval while another replica holds it, and checks the
    /// connection while this one does; throws when the connection fails.
    private func holdSweepLock(_ connection: PostgresConnection) async throws {
        while !Task.isCancelled {
            if holdsSweeps {
                _ = try await connection.query("SELECT 1", logger: logger)
            } else {
                let rows = try await connection.query(
                    "SELECT pg_try_advisory_lock(\(Self.sweepLockKey))",
                    logger: logger
                )
                for try await taken in rows.decode(Bool.self) where taken {
                    leader.store(true, ordering: .releasing)
                    logger.info("this replica runs the sweeps")
                }
            }
            try await Task.sleep(for: ReplicaTiming.interval)
        }
    }

    private func connect() async throws -> PostgresConnection {
        var settings = PostgresConnection.Configuration(
            host: configuration.host,
            port: configuration.port,
            username: configuration.username,
            password: configuration.password,
            database: configuration.database,
            tls: try Self.tls(configuration)
        )
        settings.options.additionalStartupParameters = [("application_name", applicationName + " coordination")]
        return try await PostgresConnection.connect(configuration: settings, id: 0, logger: logger)
    }

    static func tls(_ configuration: PostgresStoreConfiguration) throws -> PostgresConnection.Configuration.TLS {
        guard let (tls, required) = configuration.tlsSettings else { return .disable }
        let context = try NIOSSLContext(configuration: tls)
        return required ? .require(context) : .prefer(context)
    }
}

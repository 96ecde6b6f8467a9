import Foundation
import Server
import TestSupport

/// The store a server figure runs on and the ceiling its throughput is compared with: the
/// embedded SQLite file against raw SQLite inserts, or a PostgreSQL database against `COPY`.
struct BenchStore: Sendable {
    /// Appended to a figure's section; nil on SQLite, the default store.
    let engine: String?
    let reference: String
    let ceiling: Double
    private let cluster: PostgresCluster?

    static func sqlite(ceiling: Double) -> BenchStore {
        BenchStore(engine: nil, reference: "raw SQLite inserts", ceiling: ceiling, cluster: nil)
    }

    static func postgres(_ cluster: PostgresCluster, ceiling: Double) -> BenchStore {
        BenchStore(engine: "PostgreSQL", reference: "PostgreSQL COPY", ceiling: ceiling, cluster: cluster)
    }

    /// A new empty store for one figure; nil on SQLite (the data directory's file).
    func newLocation() async throws -> StoreLocation? {
        guard let cluster else { return nil }
        return try StoreLocation(parsing: try await cluster.createDatabase(poolSize: 10))
    }

    func section(_ name: String) -> String {
        engine.map { "\(name), \($0)" } ?? name
    }
}

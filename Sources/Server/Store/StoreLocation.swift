import Foundation
import Logging

/// Where the store lives, as `--store` (or `EDGESYNC_STORE`) names it: `sqlite:PATH` (a file;
/// relative paths from the working directory) or `postgres://USER[:PASS]@HOST[:PORT]/DB` (shared
/// by several replicas). The default is `sqlite:<data-dir>/edgesync.sqlite`.
public struct StoreLocation: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case sqlite(path: String)
        case postgres(PostgresStoreConfiguration)
    }

    public var kind: Kind

    public init(_ kind: Kind) {
        self.kind = kind
    }

    static let expected = "expected sqlite:PATH or postgres://USER[:PASS]@HOST[:PORT]/DB"

    /// Parses a store URL; the error names what is wrong with it.
    public init(parsing url: String) throws(StoreError) {
        guard let colon = url.firstIndex(of: ":") else {
            throw StoreError(.badRequest, "--store \(url): \(Self.expected)")
        }
        let scheme = url[..<colon].lowercased()
        let rest = String(url[url.index(after: colon)...])
        switch scheme {
        case "sqlite":
            let path = rest.hasPrefix("//") ? String(rest.dropFirst(2)) : rest
            guard !path.isEmpty else { throw StoreError(.badRequest, "--store \(url): the SQLite file path is empty") }
            kind = .sqlite(path: path)
        case "postgres", "postgresql":
            kind = .postgres(try PostgresStoreConfiguration(url: url))
        default:
            throw StoreError(
                .badRequest,
                "--store \(PostgresStoreConfiguration.redacted(url)): unknown store kind \(scheme); \(Self.expected)"
            )
        }
    }

    /// The default store of a data directory.
    public static func `default`(dataDirectory: String) -> StoreLocation {
        StoreLocation(.sqlite(path: URL(fileURLWithPath: dataDirectory).appendingPathComponent("edgesync.sqlite").path))
    }

    /// The location without secrets, as logs show it.
    public var description: String {
        switch kind {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let configuration): configuration.description
        }
    }

    /// The location as `--store` takes it, secrets included.
    public var url: String {
        switch kind {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let configuration): configuration.url
        }
    }

    /// Whether several server processes may share the store.
    public var isShared: Bool {
        if case .postgres = kind { return true }
        return false
    }

    /// How the servers of this store coordinate: on SQLite the server is the only one.
    public func coordination(
        applicationName: String = "edgesync",
        logger: Logger = Logger(label: "edgesync.store")
    ) -> any ReplicaCoordination {
        switch kind {
        case .sqlite: SoleReplica()
        case .postgres(let configuration):
            PostgresCoordination(configuration: configuration, applicationName: applicationName, logger: logger)
        }
    }

    /// Opens the store (creating and migrating it as needed). `applicationName` names this
    /// process's connections on a database server.
    public func open(
        applicationName: String = "edgesync",
        logger: Logger = Logger(label: "edgesync.store")
    ) async throws -> SQLGovernanceStore {
        switch kind {
        case .sqlite(let path):
            SQLGovernanceStore(backend: try SQLiteBackend(path: path))
        case .postgres(let configuration):
            SQLGovernanceStore(
                backend: try await PostgresBackend.open(configuration, applicationName: applicationName, logger: logger)
            )
        }
    }
}

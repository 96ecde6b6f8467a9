import Foundation
import NIOSSL

/// Where and how to reach the PostgreSQL store: `postgres://USER[:PASS]@HOST[:PORT]/DB` with
/// optional query settings (`pool_size`, `sslmode`, `lock_timeout_ms`, `reader_role`).
public struct PostgresStoreConfiguration: Sendable, Hashable {
    /// TLS to the database, with libpq's meanings: `disable`; `prefer` and `require` encrypt
    /// without checking the certificate; `verify-full` checks it and the host name.
    public enum TLSMode: String, Sendable, Hashable, CaseIterable {
        case disable
        case prefer
        case require
        case verifyFull = "verify-full"
    }

    public var host: String
    /// Default 5432.
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    /// Connections this replica keeps at most (default 10); as many threads run transactions.
    public var poolSize: Int
    /// Default `prefer`.
    public var tls: TLSMode
    /// How long an approval's DDL waits for a table lock before it gives up and retries, so that a
    /// busy mirror never stalls the ingest queued behind the DDL (default 2,000 ms).
    public var lockTimeoutMilliseconds: Int
    public static let defaultLockTimeoutMilliseconds = 2_000
    /// A role (created by the database's owner) granted SELECT on every mirror and series as it
    /// is created, and nothing else: the data team's read-only access (default none).
    public var readerRole: String?

    public init(
        host: String,
        port: Int = 5432,
        username: String,
        password: String? = nil,
        database: String,
        poolSize: Int = 10,
        tls: TLSMode = .prefer,
        lockTimeoutMilliseconds: Int = defaultLockTimeoutMilliseconds,
        readerRole: String? = nil
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.poolSize = poolSize
        self.tls = tls
        self.lockTimeoutMilliseconds = lockTimeoutMilliseconds
        self.readerRole = readerRole
    }

    /// Parses a `postgres://` or `postgresql://` URL; the error says what is wrong with it.
    public init(url: String) throws(StoreError) {
        let shown = Self.redacted(url)
        func bad(_ problem: String) -> StoreError {
            StoreError(.badRequest, "--store \(shown): \(problem); expected postgres://USER[:PASS]@HOST[:PORT]/DB")
        }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            ["postgres", "postgresql"].contains(scheme)
        else { throw bad("not a PostgreSQL URL") }
        guard let host = components.host, !host.isEmpty else { throw bad("the host is missing") }
        guard let user = components.user, !user.isEmpty else { throw bad("the user is missing") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw bad("the database name is missing") }
        self.init(
            host: host,
            port: components.port ?? 5432,
            username: user.removingPercentEncoding ?? user,
            password: components.password.map { $0.removingPercentEncoding ?? $0 },
            database: database.removingPercentEncoding ?? database
        )
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "pool_size":
                guard let size = Int(value), (1...200).contains(size) else {
                    throw bad("pool_size must be an integer from 1 to 200")
                }
                poolSize = size
            case "sslmode":
                guard let mode = TLSMode(rawValue: value) else {
                    throw bad("sslmode must be one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                tls = mode
            case "lock_timeout_ms":
                guard let timeout = Int(value), timeout >= 1 else { throw bad("lock_timeout_ms must be ≥ 1") }
                lockTimeoutMilliseconds = timeout
            case "reader_role":
                guard !value.isEmpty, value.utf8.count <= 63, !value.utf8.contains(0) else {
                    throw bad("reader_role must be a role name of 1 to 63 bytes")
                }
                readerRole = value
            default:
                throw bad("unknown setting \(item.name) (pool_size, sslmode, lock_timeout_ms, reader_role)")
            }
        }
    }

    /// The TLS to use, nil for none: libpq's `prefer` and `require` encrypt without checking the
    /// server's certificate; `verify-full` checks it against the system's roots and the host name.
    var tlsSettings: (configuration: TLSConfiguration, required: Bool)? {
        var unverified = TLSConfiguration.makeClientConfiguration()
        unverified.certificateVerification = .none
        switch tls {
        case .disable: return nil
        case .prefer: return (unverified, false)
        case .require: return (unverified, true)
        case .verifyFull: return (TLSConfiguration.makeClientConfiguration(), true)
        }
    }

    /// The URL without its password, as logs and errors show it.
    public var description: String {
        let credentials = password == nil ? username : "\(username):***"
        return "postgres://\(credentials)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)"
    }

    /// The URL `init(url:)` reads back, password and settings included.
    public var url: String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.user = username
        components.password = password
        components.host = host
        components.port = port
        components.path = "/" + database
        components.queryItems =
            [
                URLQueryItem(name: "pool_size", value: String(poolSize)),
                URLQueryItem(name: "sslmode", value: tls.rawValue),
                URLQueryItem(name: "lock_timeout_ms", value: String(lockTimeoutMilliseconds)),
            ] + (readerRole.map { [URLQueryItem(name: "reader_role", value: $0)] } ?? [])
        return components.string ?? description
    }

    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }
}

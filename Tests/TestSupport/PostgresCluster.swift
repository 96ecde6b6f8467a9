import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A throw-away PostgreSQL cluster made by the tests: `initdb` in a temporary directory (as the
/// `postgres` user when the tests run as root, since PostgreSQL refuses root), its own loopback
/// port, fsync on. A watcher stops it and removes its directory when the test process exits,
/// however it exits.
public final class PostgresCluster: Sendable {
    public let port: Int
    public let dataDirectory: String
    public let binDirectory: String
    let runAs: String?

    /// The cluster every test of this process shares (each test gets its own database).
    public static func shared() async throws -> PostgresCluster {
        try await SharedCluster.instance.get()
    }

    /// Starts a new cluster; `settings` are extra `postgres -c` settings.
    public static func start(settings: [String: String] = [:]) async throws -> PostgresCluster {
        let binDirectory = try locateBinaries()
        let runAs: String? = getuid() == 0 ? "postgres" : nil
        let root = "/tmp/edgesync-pg-\(UUID().uuidString.prefix(8))"
        let data = root + "/data"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        if let runAs { try FileManager.default.setAttributes([.ownerAccountName: runAs], ofItemAtPath: root) }
        let cluster = PostgresCluster(port: try await freeTestPort(), data: data, bin: binDirectory, runAs: runAs)
        let initdb = try await cluster.tool(
            "initdb",
            ["-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C"]
        )
        guard initdb.status == 0 else { throw ProcessRunner.Failure.spawnFailed("initdb: \(initdb.stderr)", -1) }
        var options = [
            "port": "\(cluster.port)", "listen_addresses": "'127.0.0.1'", "unix_socket_directories": "'\(root)'",
            "max_connections": "400", "fsync": "on",
        ]
        options.merge(settings) { $1 }
        let configuration = options.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)" }.joined(separator: "\n")
        let file = data + "/postgresql.auto.conf"
        let existing = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        try (existing + "\n" + configuration + "\n").write(toFile: file, atomically: false, encoding: .utf8)
        try await cluster.start()
        cluster.stopWhenThisProcessExits(root: root)
        return cluster
    }

    private init(port: Int, data: String, bin: String, runAs: String?) {
        self.port = port
        self.dataDirectory = data
        self.binDirectory = bin
        self.runAs = runAs
    }

    /// The newest installed server's programs (Debian keeps them off the PATH).
    static func locateBinaries() throws -> String {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        for version in versions.compactMap(Int.init).sorted(by: >) {
            let directory = "/usr/lib/postgresql/\(version)/bin"
            if FileManager.default.isExecutableFile(atPath: directory + "/initdb") { return directory }
        }
        throw ProcessRunner.Failure.notInstalled("postgresql (initdb)")
    }

    /// Runs one of the cluster's programs as its owner.
    public func tool(
        _ name: String,
        _ arguments: [String],
        timeout: Duration = hangDeadline
    ) async throws
        -> ProcessRunner.Output
    {
        let program = binDirectory + "/" + name
        if let runAs {
            return try await ProcessRunner.run("runuser", ["-u", runAs, "--", program] + arguments, timeout: timeout)
        }
        return try await ProcessRunner.run(program, arguments, timeout: timeout)
    }

    public func start() async throws {
        let started = try await tool(
            "pg_ctl",
            ["-D", dataDirectory, "-l", dataDirectory + "/server.log", "-w", "start"]
        )
        guard started.status == 0 else {
            let log = (try? String(contentsOfFile: dataDirectory + "/server.log", encoding: .utf8)) ?? ""
            throw ProcessRunner.Failure.spawnFailed("pg_ctl start: \(started.stdout)\(started.stderr)\(log)", -1)
        }
    }

    /// `pg_ctl restart -m MODE` (`immediate`: a crash, recovered from the WAL at start).
    public func restart(mode: String = "immediate") async throws {
        let restarted = try await tool(
            "pg_ctl",
            ["-D", dataDirectory, "-l", dataDirectory + "/server.log", "-m", mode, "-w", "restart"]
        )
        guard restarted.status == 0 else {
            throw ProcessRunner.Failure.spawnFailed("pg_ctl restart: \(restarted.stderr)", -1)
        }
    }

    public func stop() async {
        _ = try? await tool("pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "stop"])
    }

    /// Runs SQL or psql commands through `psql`, in order (tuples only, unaligned, `|` between
    /// columns); throws its error.
    @discardableResult
    public func psql(
        _ commands: String...,
        database: String = "postgres",
        user: String = "postgres"
    ) async throws
        -> String
    {
        let output = try await ProcessRunner.run(
            binDirectory + "/psql",
            [
                "-X", "-q", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-h", "127.0.0.1", "-p", "\(port)", "-U", user,
                "-d", database,
            ] + commands.flatMap { ["-c", $0] }
        )
        guard output.status == 0 else { throw ProcessRunner.Failure.spawnFailed("psql: \(output.stderr)", -1) }
        return output.stdout
    }

    /// A new empty database; returns its store URL.
    public func createDatabase(poolSize: Int = 4) async throws -> String {
        let name = "edgesync_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: ""))"
        try await psql("CREATE DATABASE \(name)")
        return url(database: name, poolSize: poolSize)
    }

    public func url(database: String, poolSize: Int = 4) -> String {
        "postgres://postgres@127.0.0.1:\(port)/\(database)?sslmode=disable&pool_size=\(poolSize)"
    }

    /// A watcher in its own session: when this process is gone, it stops the cluster and
    /// removes its files.
    private func stopWhenThisProcessExits(root: String) {
        let stop =
            (runAs.map { "runuser -u \($0) -- " } ?? "")
            + "\(binDirectory)/pg_ctl -D \(dataDirectory) -m immediate -w stop"
        let script = "while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done; \(stop) >/dev/null 2>&1; rm -rf \(root)"
        _ = try? ProcessRunner.start("setsid", ["sh", "-c", script])
    }
}

/// Starts the shared cluster once, for every test that asks.
private actor SharedCluster {
    static let instance = SharedCluster()
    private var cluster: Task<PostgresCluster, any Error>?

    func get() async throws -> PostgresCluster {
        if let cluster { return try await cluster.value }
        let task = Task { try await PostgresCluster.start() }
        cluster = task
        return try await task.value
    }
}

/// Which store the store-backed suites run against: SQLite unless `EDGESYNC_TEST_STORE` is
/// `postgres` (then each test gets a new database of the shared throw-away cluster).
public enum TestStore {
    public static var isPostgres: Bool { ProcessInfo.processInfo.environment["EDGESYNC_TEST_STORE"] == "postgres" }

    /// A `--store` URL for a new test server; nil on SQLite (the server's data directory).
    public static func url() async throws -> String? {
        guard isPostgres else { return nil }
        return try await PostgresCluster.shared().createDatabase()
    }
}

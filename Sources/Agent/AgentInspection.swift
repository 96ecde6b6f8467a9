import EdgeSyncModels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `edge-agent check`, `status` and `uninstall`: what the agent sees and has done, without
/// connecting to the server.
enum AgentInspection {
    struct CheckedTable: Encodable {
        var name: String
        var strategy: String
        var schemaHash: String
        var schemaColumns: SchemaFingerprint
        var problems: [String]

        enum CodingKeys: String, CodingKey {
            case name, strategy, problems
            case schemaHash = "schema_hash"
            case schemaColumns = "schema_columns"
        }
    }

    /// `status`: the agent's connection as it last recorded it, the room left, and each table.
    struct Status: Encodable {
        var connection: String
        var connectionSince: String?
        /// Free bytes for the agent on the filesystem of the application's database.
        var diskFreeBytes: Int64?
        /// Journal entries waiting to be sent, over every table, and their bytes.
        var pendingRows: Int
        var pendingBytes: Int
        /// Seconds since the agent first saw the oldest entry still waiting, over every table.
        var oldestPendingAgeSeconds: Int64?
        var tables: [TableStatus]

        enum CodingKeys: String, CodingKey {
            case connection, tables
            case connectionSince = "connection_since"
            case diskFreeBytes = "disk_free_bytes"
            case pendingRows = "pending_rows"
            case pendingBytes = "pending_bytes"
            case oldestPendingAgeSeconds = "oldest_pending_age_seconds"
        }
    }

    struct TableStatus: Encodable {
        var name: String
        var strategy: String
        var cursor: String
        var pendingRows: Int
        var pendingBytes: Int
        /// Seconds since the agent first saw the table's oldest waiting entry (`journal_mark`);
        /// nil when nothing waits, or when the agent has not seen the entries yet.
        var oldestPendingAgeSeconds: Int64?
        var paused: Bool
        var lastError: String?

        enum CodingKeys: String, CodingKey {
            case name, strategy, cursor, paused
            case pendingRows = "pending_rows"
            case pendingBytes = "pending_bytes"
            case oldestPendingAgeSeconds = "oldest_pending_age_seconds"
            case lastError = "last_error"
        }
    }

    /// Opens the source read-only: `check` and `status` must not change the application's database.
    static func readOnly(_ path: String) throws -> SQLiteDatabase {
        guard FileIdentity(path: path) != nil else {
            throw AgentConfigurationError(key: "source_db_path", message: "\(path) does not exist")
        }
        return try SQLiteDatabase(path: path, mode: .readOnly, busyTimeout: .seconds(5))
    }

    static func check(_ configuration: AgentConfiguration) throws -> [CheckedTable] {
        guard let path = configuration.sourceDatabasePath else { return [] }
        return try TableDiscovery.discover(try readOnly(path), configuration: configuration).map {
            CheckedTable(
                name: $0.name,
                strategy: $0.strategy.name,
                schemaHash: $0.fingerprint.schemaHash,
                schemaColumns: $0.fingerprint,
                problems: $0.problems
            )
        }
    }

    /// What `check` finds wrong with the settings themselves, each naming its key (and file):
    /// the connection settings that are given, the TLS files, and table names in
    /// `table_strategies` that the database does not have (a misspelled table would be captured
    /// by default instead of being handled as configured).
    static func configurationProblems(_ configuration: AgentConfiguration, tables: [CheckedTable]) -> [String] {
        var problems = configuration.connectionProblems
        if configuration.caCertificatePath != nil || configuration.clientCertificatePath != nil
            || configuration.clientKeyPath != nil
        {
            do { _ = try configuration.tlsConfiguration() } catch { problems.append("\(error)") }
        }
        if let file = configuration.metricsTextfile {
            let directory = file.contains("/") ? String(file[..<file.lastIndex(of: "/")!]) : "."
            if !file.hasSuffix(".prom") {
                problems.append("metrics.textfile: \(file) must end in .prom (the textfile collector reads only those)")
            } else if access(directory.isEmpty ? "/" : directory, W_OK) != 0 {
                problems.append("metrics.textfile: the directory \(directory) does not exist or is not writable")
            }
        }
        let names = Set(tables.map(\.name))
        for table in configuration.tableStrategies.keys.sorted() where !names.contains(table) {
            problems.append("sqlite-replication.table_strategies.\(table): the database has no table \(table)")
        }
        return problems
    }

    static func status(_ configuration: AgentConfiguration, now: Timestamp = .now) throws -> Status {
        guard let path = configuration.sourceDatabasePath, let statePath = configuration.resolvedStatePath else {
            return Status(connection: "never run", pendingRows: 0, pendingBytes: 0, tables: [])
        }
        let state = try AgentStateStore(path: statePath)
        let tables = try tableStatus(configuration, path: path, state: state, now: now)
        let connection = try state.queue.runNow { try AgentStateStore.connection($0) }
        return Status(
            connection: connection?.state ?? "never run",
            connectionSince: connection?.since,
            diskFreeBytes: availableBytes(at: path),
            pendingRows: tables.reduce(0) { $0 + $1.pendingRows },
            pendingBytes: tables.reduce(0) { $0 + $1.pendingBytes },
            oldestPendingAgeSeconds: tables.compactMap(\.oldestPendingAgeSeconds).max(),
            tables: tables
        )
    }

    private static func tableStatus(
        _ configuration: AgentConfiguration,
        path: String,
        state: AgentStateStore,
        now: Timestamp
    ) throws -> [TableStatus] {
        let db = try readOnly(path)
        return try db.transaction(immediate: false) {
            let captured = Dictionary(
                try CaptureCatalog.tables(db).map { ($0.name, $0) },
                uniquingKeysWith: { a, _ in a }
            )
            return try TableDiscovery.discover(db, configuration: configuration).map { table in
                let progress = try state.queue.runNow { try AgentStateStore.load($0, table.name) }
                var pending = (rows: 0, bytes: 0)
                var cursor = "-"
                var age: Int64?
                if let entry = captured[table.name] {
                    let after = progress.cursor(in: entry.epoch)
                    pending = try journalBacklog(db, entry, after: after)
                    if pending.rows > 0,
                        let seen = try state.queue.runNow({
                            try AgentStateStore.firstSeen($0, table: table.name, epoch: entry.epoch, after: after)
                        })
                    {
                        age = max(0, now.seconds - seen.seconds)
                    }
                    cursor =
                        entry.isTelemetry
                        ? "batch_seq \(progress.batchSeq), journal seq \(after)"
                        : "commit_seq \(after) (epoch \(entry.epoch.prefix(8)))"
                    if entry.snapshotAfter != nil { cursor += ", snapshot running" }
                }
                return TableStatus(
                    name: table.name,
                    strategy: table.strategy.name,
                    cursor: cursor,
                    pendingRows: pending.rows,
                    pendingBytes: pending.bytes,
                    oldestPendingAgeSeconds: age,
                    paused: progress.paused,
                    lastError: progress.lastError ?? table.problems.first
                )
            }
        }
    }

    /// A table's journal entries after `cursor` (an upgraded journal's included, and the rows
    /// waiting for the sweep), and their bytes.
    static func journalBacklog(
        _ db: SQLiteDatabase,
        _ table: CapturedTable,
        after cursor: Int64
    ) throws -> (
        rows: Int, bytes: Int
    ) {
        let keyLength = table.keyColumns.map { "COALESCE(length(\($0)), 0)" }.joined(separator: " + ")
        let row = try db.firstRow(
            "SELECT COUNT(*), COALESCE(SUM(24 + \(keyLength)), 0) FROM \(SQLIdentifier.quote(table.journal)) WHERE seq > ? AND op > 0",
            [.integer(cursor)]
        )
        // Rows inserted above the sweep mark are pending too, though not journaled yet.
        let waiting = try InsertSweep.waiting(db, table, limit: Int.max)
        var rows = Int(row?[0].integer ?? 0) + waiting
        var bytes = Int(row?[1].integer ?? 0) + waiting * 32
        if try LegacyJournal.journalExists(db),
            let legacy = try db.firstRow(
                """
                SELECT COUNT(*), COALESCE(SUM(length(pk) + COALESCE(length(row), 0)), 0) FROM "\(LegacyJournal.journal)"
                WHERE table_name = ? AND commit_seq > ?
                """,
                [.text(table.name), .integer(cursor)]
            )
        {
            rows += Int(legacy[0].integer ?? 0)
            bytes += Int(legacy[1].integer ?? 0)
        }
        return (rows, bytes)
    }

    /// Drops every trigger and table the agent made in the source database (the application's
    /// tables stay exactly as they are). Refused while an agent runs on it.
    static func uninstall(_ configuration: AgentConfiguration) throws -> Int {
        guard let path = configuration.sourceDatabasePath, let statePath = configuration.resolvedStatePath else {
            return 0
        }
        let lock = try AgentLock(statePath: statePath)
        defer { withExtendedLifetime(lock) {} }
        guard FileIdentity(path: path) != nil else {
            throw AgentConfigurationError(key: "source_db_path", message: "\(path) does not exist")
        }
        let db = try SQLiteDatabase(path: path, mode: .readWrite)
        return try db.transaction {
            let tables =
                try db.scalar(
                    "SELECT COUNT(DISTINCT tbl_name) FROM sqlite_master WHERE type = 'trigger' AND name LIKE '\\_\\_edgesync\\_%' ESCAPE '\\'"
                )?.integer ?? 0
            let objects = try db.rows(
                "SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'table') AND name LIKE '\\_\\_edgesync\\_%' ESCAPE '\\'"
            ).compactMap { row in row[0].text.flatMap { type in row[1].text.map { (type: type, name: $0) } } }
            // Triggers first: a journal they write to must not be gone while they exist.
            try CaptureCatalog.drop(db, objects.filter { $0.type == "trigger" })
            try CaptureCatalog.drop(db, objects.filter { $0.type == "table" })
            return Int(tables)
        }
    }
}

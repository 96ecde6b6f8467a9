import EdgeSyncModels
import Foundation
import GRDB

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

    struct TableStatus: Encodable {
        var name: String
        var strategy: String
        var cursor: String
        var pendingRows: Int
        var pendingBytes: Int
        var paused: Bool
        var lastError: String?

        enum CodingKeys: String, CodingKey {
            case name, strategy, cursor, paused
            case pendingRows = "pending_rows"
            case pendingBytes = "pending_bytes"
            case lastError = "last_error"
        }
    }

    /// Opens the source read-only: `check` must not change the application's database.
    static func readOnly(_ path: String) throws -> DatabaseQueue {
        guard FileManager.default.fileExists(atPath: path) else {
            throw AgentConfigurationError(key: "source_db_path", message: "\(path) does not exist")
        }
        var settings = Configuration()
        settings.readonly = true
        settings.busyMode = .timeout(5)
        return try DatabaseQueue(path: path, configuration: settings)
    }

    static func check(_ configuration: AgentConfiguration) throws -> [CheckedTable] {
        try readOnly(configuration.sourceDatabasePath!).read { db in
            try CaptureSchema.discover(db, configuration: configuration).map {
                CheckedTable(
                    name: $0.name,
                    strategy: $0.strategy.name,
                    schemaHash: $0.fingerprint.schemaHash,
                    schemaColumns: $0.fingerprint,
                    problems: $0.problems
                )
            }
        }
    }

    static func status(_ configuration: AgentConfiguration) throws -> [TableStatus] {
        let state = try AgentStateStore(path: configuration.resolvedStatePath!)
        return try readOnly(configuration.sourceDatabasePath!).read { db in
            let hasJournal = try db.tableExists(CaptureSchema.journal)
            return try CaptureSchema.discover(db, configuration: configuration).map { table in
                let progress = try state.progress(table.name)
                var pending: (rows: Int, bytes: Int64) = (0, 0)
                if hasJournal, case .rows = table.strategy {
                    pending = try CaptureSchema.pending(db, table: table.name, after: progress.lastAckedSeq)
                }
                let cursor =
                    switch table.strategy {
                    case .rows: "commit_seq \(progress.lastAckedSeq)"
                    case .telemetry:
                        "batch_seq \(progress.batchSeq), ts \(progress.tsCursor ?? "-"), rowid \(progress.rowidCursor.map(String.init) ?? "-")"
                    case .ignore: "-"
                    }
                return TableStatus(
                    name: table.name,
                    strategy: table.strategy.name,
                    cursor: cursor,
                    pendingRows: pending.rows,
                    pendingBytes: Int(pending.bytes),
                    paused: progress.paused,
                    lastError: progress.lastError ?? table.problems.first
                )
            }
        }
    }

    /// Drops the agent's triggers, journal and bookkeeping from the source database.
    static func uninstall(sourcePath: String) throws -> [String] {
        let pool = try EdgeAgent.openSource(sourcePath)
        return try pool.write { db in
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'").filter {
                !CaptureSchema.isAgentTable($0)
            }
            for table in tables { try CaptureSchema.dropTriggers(db, table) }
            try db.execute(
                sql: "DROP TABLE IF EXISTS \"\(CaptureSchema.journal)\"; DROP TABLE IF EXISTS \"\(CaptureSchema.meta)\""
            )
            return tables
        }
    }
}

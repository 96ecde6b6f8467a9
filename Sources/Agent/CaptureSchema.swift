import EdgeSyncModels
import GRDB

/// One table of the source database as the agent sees it.
public struct SourceTable: Sendable, Hashable {
    public var name: String
    public var strategy: TableStrategy
    public var fingerprint: SchemaFingerprint
    /// Primary-key column names in key order (empty for rowid-only tables).
    public var primaryKey: [String]
    /// Why the table cannot be captured; empty when it can.
    public var problems: [String]

    public var columnNames: [String] { fingerprint.columns.map(\.name) }
}

/// Table discovery and the capture triggers (docs/spec/agent.md, "Capture"). The triggers write the
/// journal in the application's own transaction, so a change and its journal row commit together.
enum CaptureSchema {
    static let journal = "__edgesync_journal"
    static let meta = "__edgesync_meta"

    static func isAgentTable(_ name: String) -> Bool {
        name.hasPrefix("sqlite_") || name.hasPrefix("__edgesync_") || name.hasPrefix("__omega_")
    }

    /// Every user table with its strategy, fingerprint and problems (ignored tables included).
    static func discover(_ db: Database, configuration: AgentConfiguration) throws -> [SourceTable] {
        let names = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .filter { !isAgentTable($0) }
        return try names.map { name in
            let columns = try tableInfo(db, name)
            let fingerprint = SchemaFingerprint(tableName: name, tableInfo: columns)
            let key = columns.filter { $0.pk > 0 }.sorted { $0.pk < $1.pk }.map(\.name)
            let strategy = configuration.strategy(of: name)
            var problems: [String] = []
            switch strategy {
            case .rows where key.isEmpty:
                problems.append(
                    "no PRIMARY KEY: rowid-only tables cannot be captured as rows (declare a key, or use telemetry)"
                )
            case .telemetry(let ts, let include):
                let known = Set(columns.map(\.name))
                if !known.contains(ts) { problems.append("ts_column \(ts) is not a column") }
                for column in include ?? [] where !known.contains(column) {
                    problems.append("include_columns: \(column) is not a column")
                }
            default:
                break
            }
            return SourceTable(
                name: name,
                strategy: strategy,
                fingerprint: fingerprint,
                primaryKey: key,
                problems: problems
            )
        }
    }

    /// `PRAGMA table_info`, quoting the name itself (a table name may contain `"`).
    static func tableInfo(_ db: Database, _ table: String) throws -> [TableInfoColumn] {
        try Row.fetchAll(db, sql: "PRAGMA table_info(\(SQLIdentifier.quote(table)))").map {
            TableInfoColumn(name: $0["name"], declaredType: $0["type"] ?? "", notNull: $0["notnull"], pk: $0["pk"])
        }
    }

    static func createJournal(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE IF NOT EXISTS "\(journal)" (
                    commit_seq INTEGER PRIMARY KEY AUTOINCREMENT, table_name TEXT NOT NULL, op TEXT NOT NULL, pk TEXT NOT NULL, row TEXT);
                CREATE INDEX IF NOT EXISTS "\(journal)_by_table" ON "\(journal)" (table_name, commit_seq);
                CREATE TABLE IF NOT EXISTS "\(meta)" (table_name TEXT PRIMARY KEY, journal_epoch TEXT NOT NULL, schema_hash TEXT NOT NULL);
                """
        )
    }

    /// A table's journal rows after `cursor`: how many, and their JSON bytes.
    static func pending(_ db: Database, table: String, after cursor: Int64 = 0) throws -> (rows: Int, bytes: Int64) {
        let row = try Row.fetchOne(
            db,
            sql: """
                SELECT COUNT(*) AS rows, COALESCE(SUM(length(pk) + COALESCE(length(row), 0)), 0) AS bytes FROM "\(journal)"
                WHERE table_name = ? AND commit_seq > ?
                """,
            arguments: [table, cursor]
        )!
        return (row["rows"], row["bytes"])
    }

    static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    static func triggerNames(_ table: String) -> [String] {
        ["insert", "update", "rekey", "delete"].map { "__edgesync_\(table)_\($0)" }
    }

    /// A JSON object of `columns` of the `NEW`/`OLD` row, built by concatenation so REALs keep
    /// all 17 significant digits (SQLite's json functions print 15) and BLOBs become
    /// `{"$hex": …}`. Non-finite REALs are strings: JSON has no token for them.
    static func jsonObject(_ columns: [String], row: String) -> String {
        let members = columns.map { column -> String in
            let value = "\(row).\(SQLIdentifier.quote(column))"
            return """
                json_quote(\(literal(column))) || ':' || (CASE typeof(\(value)) WHEN 'null' THEN 'null' WHEN 'integer' THEN CAST(\(value) AS TEXT) \
                WHEN 'real' THEN (CASE WHEN \(value) BETWEEN -1.7976931348623157e308 AND 1.7976931348623157e308 THEN printf('%!.17g', \(value)) \
                WHEN \(value) > 0 THEN '"Infinity"' ELSE '"-Infinity"' END) WHEN 'text' THEN json_quote(\(value)) \
                ELSE '{"$hex":"' || hex(\(value)) || '"}' END)
                """
        }
        return "('{' || " + (members.isEmpty ? "''" : members.joined(separator: " || ',' || ")) + " || '}')"
    }

    /// Drops and recreates the table's four triggers (run inside one write transaction).
    static func installTriggers(_ db: Database, _ table: SourceTable) throws {
        try dropTriggers(db, table.name)
        let name = literal(table.name)
        let target = SQLIdentifier.quote(table.name)
        let insert = { (op: String, pkRow: String, rowRow: String?) -> String in
            "INSERT INTO \"\(journal)\" (table_name, op, pk, row) VALUES (\(name), '\(op)', \(jsonObject(table.primaryKey, row: pkRow)), \(rowRow.map { jsonObject(table.columnNames, row: $0) } ?? "NULL"));"
        }
        let sameKey = table.primaryKey.map { "OLD.\(SQLIdentifier.quote($0)) IS NEW.\(SQLIdentifier.quote($0))" }
            .joined(separator: " AND ")
        let names = triggerNames(table.name).map(SQLIdentifier.quote)
        try db.execute(
            sql: """
                CREATE TRIGGER \(names[0]) AFTER INSERT ON \(target) BEGIN \(insert("insert", "NEW", "NEW")) END;
                CREATE TRIGGER \(names[1]) AFTER UPDATE ON \(target) WHEN \(sameKey) BEGIN \(insert("update", "NEW", "NEW")) END;
                CREATE TRIGGER \(names[2]) AFTER UPDATE ON \(target) WHEN NOT (\(sameKey)) BEGIN \(insert("delete", "OLD", nil)) \(insert("insert", "NEW", "NEW")) END;
                CREATE TRIGGER \(names[3]) AFTER DELETE ON \(target) BEGIN \(insert("delete", "OLD", nil)) END;
                """
        )
    }

    static func dropTriggers(_ db: Database, _ table: String) throws {
        for trigger in triggerNames(table) {
            try db.execute(sql: "DROP TRIGGER IF EXISTS \(SQLIdentifier.quote(trigger))")
        }
    }

    /// Seeds every existing row into the journal as an insert (in the trigger-install transaction,
    /// so there is neither a gap nor a duplicate with live capture).
    static func snapshot(_ db: Database, _ table: SourceTable) throws {
        try db.execute(
            sql: """
                INSERT INTO "\(journal)" (table_name, op, pk, row) SELECT \(literal(table.name)), 'insert', \(jsonObject(table.primaryKey, row: "t")), \
                \(jsonObject(table.columnNames, row: "t")) FROM \(SQLIdentifier.quote(table.name)) AS t
                """
        )
    }
}

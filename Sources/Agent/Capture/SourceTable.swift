import EdgeSyncModels

/// One table of the application's database as the agent sees it on a poll.
public struct SourceTable: Sendable, Hashable {
    public var name: String
    public var strategy: TableStrategy
    public var fingerprint: SchemaFingerprint
    /// Primary-key column names in key order (empty for rowid-only tables).
    public var primaryKey: [String]
    public var withoutRowID: Bool
    /// The `INTEGER PRIMARY KEY` column that is the rowid itself, when the table has one: its
    /// values are integers that no `VACUUM` renumbers, so inserts above a mark can be swept.
    public var rowidAlias: String?
    /// Why the table cannot be captured; empty when it can.
    public var problems: [String]

    /// Column names sorted bytewise: the fingerprint's order, which is also canonical JSON's.
    public var columnNames: [String] { fingerprint.columns.map(\.name) }

    /// What identifies a row in the journal: the primary key of a rows table; for telemetry the
    /// rowid, or the key of a WITHOUT ROWID table.
    public var journalKey: JournalKey {
        switch strategy {
        case .telemetry where !withoutRowID: .rowid
        default: .columns(primaryKey)
        }
    }

    public var isCaptured: Bool { problems.isEmpty && strategy != .ignore }
}

/// The columns a journal entry records to find its row again.
public enum JournalKey: Sendable, Hashable {
    case rowid
    case columns([String])

    /// The key's expressions on a row named `alias` (`NEW`, `OLD`, `t`).
    func expressions(_ alias: String) -> [String] {
        switch self {
        case .rowid: ["\(alias).rowid"]
        case .columns(let names): names.map { "\(alias).\(SQLIdentifier.quote($0))" }
        }
    }

    var count: Int {
        switch self {
        case .rowid: 1
        case .columns(let names): names.count
        }
    }

    /// Stored in the catalog as the JSON array of the key's column names; `[]` is the rowid.
    var catalogText: String {
        switch self {
        case .rowid: "[]"
        case .columns(let names): CanonicalJSON.string(of: .array(names.map(JSONValue.string)))
        }
    }

    init(catalogText: String) {
        let names = (try? JSONParser().parse(catalogText))?.arrayValue?.compactMap(\.stringValue) ?? []
        self = names.isEmpty ? .rowid : .columns(names)
    }
}

/// Finds the application's tables, their fingerprints and whether each can be captured.
enum TableDiscovery {
    static func isAgentTable(_ name: String) -> Bool {
        name.hasPrefix("sqlite_") || name.hasPrefix("__edgesync_") || name.hasPrefix("__omega_")
    }

    /// Every user table with its strategy, fingerprint and problems (ignored tables included).
    static func discover(_ db: SQLiteDatabase, configuration: AgentConfiguration) throws -> [SourceTable] {
        let entries = try db.rows("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name")
        return try entries.compactMap { entry -> SourceTable? in
            guard let name = entry[0].text, !isAgentTable(name) else { return nil }
            let columns = try tableInfo(db, name)
            let key = columns.filter { $0.pk > 0 }.sorted { $0.pk < $1.pk }.map(\.name)
            // Table options follow the column list's closing parenthesis, so a default value or a
            // CHECK that mentions the words cannot be mistaken for them.
            let definition = entry[1].text ?? ""
            let options = definition.lastIndex(of: ")").map { definition[$0...] } ?? ""
            let withoutRowID = options.uppercased().contains("WITHOUT ROWID")
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
                fingerprint: SchemaFingerprint(tableName: name, tableInfo: columns),
                primaryKey: key,
                withoutRowID: withoutRowID,
                rowidAlias: withoutRowID ? nil : try rowidAlias(db, name, columns),
                problems: problems
            )
        }
    }

    /// The column that aliases the rowid: the one key column, declared `INTEGER`, with no index
    /// of its own (SQLite gives `INTEGER PRIMARY KEY DESC`, which is no alias, an index).
    static func rowidAlias(_ db: SQLiteDatabase, _ table: String, _ columns: [TableInfoColumn]) throws -> String? {
        let key = columns.filter { $0.pk > 0 }
        guard key.count == 1, key[0].declaredType.uppercased() == "INTEGER",
            try db.scalar("SELECT 1 FROM pragma_index_list(?) WHERE origin = 'pk'", [.text(table)]) == nil
        else { return nil }
        return key[0].name
    }

    /// `PRAGMA table_info`, quoting the name itself (a table name may contain `"`).
    static func tableInfo(_ db: SQLiteDatabase, _ table: String) throws -> [TableInfoColumn] {
        try db.rows("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?)", [.text(table)]).map {
            TableInfoColumn(
                name: $0[0].text ?? "",
                declaredType: $0[1].text ?? "",
                notNull: ($0[2].integer ?? 0) != 0,
                pk: Int($0[3].integer ?? 0)
            )
        }
    }
}

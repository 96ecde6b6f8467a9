import EdgeSyncModels

/// Where an approved lineage's rows land and how: the table (a mirror or a telemetry series),
/// its columns and key, and the SQL that creates or extends it. Every identifier is derived or
/// validated (never raw device input) and still quoted; values are always bound.
public struct MaterializationTarget: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case mirror
        case series
    }

    /// A source column written to a target column.
    public struct Column: Sendable, Hashable {
        public var source: String
        public var target: String
        public var affinity: ColumnAffinity
        public var pkOrdinal: Int
    }

    public var kind: Kind
    public var table: String
    public var columns: [Column]
    /// A target shared by the devices of a project or fleet: `_device_id` joins the key.
    public var coalesced: Bool

    /// Platform columns of a mirror, before the mirrored ones.
    public static let mirrorPlatformColumns = [
        "_device_id", "_journal_epoch", "_commit_seq", "_updated_at", "_cloud_version",
    ]

    public init(kind: Kind, table: String, columns: [Column], coalesced: Bool = false) {
        self.kind = kind
        self.table = table
        self.columns = columns
        self.coalesced = coalesced
    }

    /// The target of a lineage from its approved schema and validated actions.
    public init(
        strategy: LineageStrategy,
        table: String,
        schema: [SchemaColumn],
        actions: [ColumnActionValidator.Resolved],
        coalesced: Bool = false
    ) {
        let byName = Dictionary(schema.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.init(
            kind: strategy == .rows ? .mirror : .series,
            table: table,
            columns: actions.compactMap { resolved in
                guard let target = resolved.targetColumn, let column = byName[resolved.action.sourceColumnName] else {
                    return nil
                }
                return Column(
                    source: column.name,
                    target: target,
                    affinity: column.declTypeAffinity,
                    pkOrdinal: strategy == .rows ? column.pkOrdinal : 0
                )
            },
            coalesced: coalesced
        )
    }

    /// Mirrored primary-key columns in key order (mirrors only).
    public var keyColumns: [Column] {
        columns.filter { $0.pkOrdinal > 0 }.sorted { $0.pkOrdinal < $1.pkOrdinal }
    }

    /// The table's primary key: the mirrored key columns, after `_device_id` when coalesced.
    public var primaryKey: [String] {
        (coalesced ? ["_device_id"] : []) + keyColumns.map(\.target)
    }

    /// `CREATE TABLE` (and index) statements for a new target.
    public var createStatements: [String] {
        let quoted = SQLIdentifier.quote(table)
        let data = columns.map { "\(SQLIdentifier.quote($0.target)) \($0.affinity.rawValue)" }
        switch kind {
        case .mirror:
            let platform = [
                "\"_device_id\" TEXT NOT NULL", "\"_journal_epoch\" TEXT NOT NULL", "\"_commit_seq\" INTEGER NOT NULL",
                "\"_updated_at\" TEXT NOT NULL", "\"_cloud_version\" INTEGER NOT NULL DEFAULT 0",
            ]
            let key = primaryKey.map(SQLIdentifier.quote).joined(separator: ", ")
            return ["CREATE TABLE \(quoted) (\((platform + data).joined(separator: ", ")), PRIMARY KEY (\(key)))"]
        case .series:
            let platform = ["\"device_id\" TEXT NOT NULL", "\"event_ts\" TEXT NOT NULL", "\"row_id\" TEXT"]
            return [
                "CREATE TABLE \(quoted) (\((platform + data).joined(separator: ", ")))",
                "CREATE INDEX \(SQLIdentifier.quote(table + "_by_time")) ON \(quoted) (\"device_id\", \"event_ts\")",
            ]
        }
    }

    /// `ALTER TABLE … ADD COLUMN` for target columns the existing table lacks: a re-approval adds
    /// columns and never drops or retypes one, so no mirrored data is lost.
    public func addColumnStatements(existing: Set<String>) -> [String] {
        columns.filter { !existing.contains($0.target) }.map {
            "ALTER TABLE \(SQLIdentifier.quote(table)) ADD COLUMN \(SQLIdentifier.quote($0.target)) \($0.affinity.rawValue)"
        }
    }
}

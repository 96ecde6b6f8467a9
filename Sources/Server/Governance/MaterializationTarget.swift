import EdgeSyncModels

/// Where an approved lineage's rows land: the table (a mirror or a telemetry series), its columns
/// and key. Every identifier is derived or validated, never raw device input; the dialect writes
/// its DDL (`SQLDialect.createStatements`), quoting each one.
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
}

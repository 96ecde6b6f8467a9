/// How a column of a reviewed schema differs from the lineage's current approved schema.
public enum ColumnDiffMarker: String, Sendable, Hashable, Codable, CaseIterable {
    case added
    case removed
    case typeChanged = "type_changed"
    case pkChanged = "pk_changed"
    case nullabilityChanged = "nullability_changed"
    case unchanged
}

/// One line of a review's diff.
public struct ColumnDiff: Codable, Sendable, Hashable {
    public var name: String
    /// The most significant change: pk over type over nullability.
    public var marker: ColumnDiffMarker
    public var affinity: ColumnAffinity?
    public var previousAffinity: ColumnAffinity?
    public var pkOrdinal: Int?
    public var previousPkOrdinal: Int?
    public var notNull: Bool?
    public var previousNotNull: Bool?
    public var previousBinding: ColumnAction?

    public init(
        name: String,
        marker: ColumnDiffMarker,
        affinity: ColumnAffinity? = nil,
        previousAffinity: ColumnAffinity? = nil,
        pkOrdinal: Int? = nil,
        previousPkOrdinal: Int? = nil,
        notNull: Bool? = nil,
        previousNotNull: Bool? = nil,
        previousBinding: ColumnAction? = nil
    ) {
        self.name = name
        self.marker = marker
        self.affinity = affinity
        self.previousAffinity = previousAffinity
        self.pkOrdinal = pkOrdinal
        self.previousPkOrdinal = previousPkOrdinal
        self.notNull = notNull
        self.previousNotNull = previousNotNull
        self.previousBinding = previousBinding
    }

    enum CodingKeys: String, CodingKey {
        case name, marker, affinity
        case previousAffinity = "previous_affinity"
        case pkOrdinal = "pk_ordinal"
        case previousPkOrdinal = "previous_pk_ordinal"
        case notNull = "not_null"
        case previousNotNull = "previous_not_null"
        case previousBinding = "previous_binding"
    }
}

/// Computes review diffs and suggested column actions. Pure, so the server and the console's
/// editor (its live preview) agree on them.
public enum SchemaDiff {
    /// Every column of either schema, sorted bytewise by name. With no previous schema (a first
    /// review) every column is `added`.
    public static func diff(
        current: [SchemaColumn],
        previous: [SchemaColumn]?,
        bindings: [ColumnAction] = []
    ) -> [ColumnDiff] {
        let old = Dictionary((previous ?? []).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let new = Dictionary(current.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let binding = Dictionary(bindings.map { ($0.sourceColumnName, $0) }, uniquingKeysWith: { first, _ in first })
        let names = Set(old.keys).union(new.keys).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return names.map { name in
            let before = old[name]
            let after = new[name]
            return ColumnDiff(
                name: name,
                marker: marker(before: before, after: after),
                affinity: after?.declTypeAffinity,
                previousAffinity: before?.declTypeAffinity,
                pkOrdinal: after?.pkOrdinal,
                previousPkOrdinal: before?.pkOrdinal,
                notNull: after?.notNull,
                previousNotNull: before?.notNull,
                previousBinding: binding[name]
            )
        }
    }

    static func marker(before: SchemaColumn?, after: SchemaColumn?) -> ColumnDiffMarker {
        guard let after else { return .removed }
        guard let before else { return .added }
        if before.isPrimaryKey != after.isPrimaryKey || before.pkOrdinal != after.pkOrdinal { return .pkChanged }
        if before.declTypeAffinity != after.declTypeAffinity { return .typeChanged }
        if before.notNull != after.notNull { return .nullabilityChanged }
        return .unchanged
    }

    /// Suggested actions: an unchanged column keeps its previous binding; otherwise PK → mirror;
    /// time columns of telemetry lineages → ignore (the series has its own time column); the rest
    /// → mirror (rows) or auto_create_and_map (telemetry).
    public static func suggestedActions(
        columns: [SchemaColumn],
        strategy: LineageStrategy,
        previous: [SchemaColumn]? = nil,
        bindings: [ColumnAction] = []
    ) -> [ColumnAction] {
        let old = Dictionary((previous ?? []).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let binding = Dictionary(bindings.map { ($0.sourceColumnName, $0) }, uniquingKeysWith: { first, _ in first })
        var kept: [String: ColumnAction] = [:]
        for column in columns where marker(before: old[column.name], after: column) == .unchanged {
            kept[column.name] = binding[column.name]
        }
        // New names keep clear of the kept ones, of each other and of a series' own columns.
        let names = MirrorIdentifier.columnNames(
            forSourceColumns: columns.map(\.name),
            reserved: Set(kept.values.compactMap(\.effectiveMirrorColumnName))
                .union(ColumnActionValidator.reservedColumns(strategy))
        )
        return columns.map { column in
            if let kept = kept[column.name] { return kept }
            if column.isPrimaryKey || strategy == .rows {
                return ColumnAction(
                    sourceColumnName: column.name,
                    action: .mirror,
                    mirrorColumnName: names[column.name]
                )
            }
            if isTimeColumn(column.name) {
                return ColumnAction(sourceColumnName: column.name, action: .ignore)
            }
            return ColumnAction(sourceColumnName: column.name, action: .autoCreateAndMap)
        }
    }

    /// `ts`, `event_ts`, `timestamp` or `*_at`, case-insensitive.
    public static func isTimeColumn(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower == "ts" || lower == "event_ts" || lower == "timestamp" || lower.hasSuffix("_at")
    }
}

/// Checks an approval's `column_actions` against the reviewed schema (docs/spec/governance.md, "Column
/// actions"). The result is the actions with every target name resolved: `mirror` gets its
/// mirror column, `map` and `auto_create_and_map` get the series column they write.
public struct ColumnActionValidator: Sendable {
    public var columns: [SchemaColumn]
    public var strategy: LineageStrategy
    /// Data points of the device that `map` may name: id → name.
    public var dataPoints: [String: String]
    public var allowAutoCreate: Bool

    /// Columns every telemetry series has.
    public static let seriesPlatformColumns: Set<String> = ["device_id", "event_ts", "row_id"]

    /// Names a strategy's target keeps for the platform: a series' own columns (a mirror's all
    /// start with `_`, which no derived name does).
    public static func reservedColumns(_ strategy: LineageStrategy) -> Set<String> {
        strategy == .telemetry ? seriesPlatformColumns : []
    }

    public init(columns: [SchemaColumn], strategy: LineageStrategy, dataPoints: [String: String], allowAutoCreate: Bool)
    {
        self.columns = columns
        self.strategy = strategy
        self.dataPoints = dataPoints
        self.allowAutoCreate = allowAutoCreate
    }

    /// A validated action: the source column, what to do and the target column it writes (nil for
    /// `ignore` and `defer`).
    public struct Resolved: Sendable, Hashable {
        public var action: ColumnAction
        public var targetColumn: String?
    }

    public func validate(_ actions: [ColumnAction]) throws(APIError) -> [Resolved] {
        let known = Set(columns.map(\.name))
        let unknown = actions.map(\.sourceColumnName).filter { !known.contains($0) }
        guard unknown.isEmpty else {
            throw APIError(
                .unknownColumn,
                "not a column of the reviewed schema: \(unknown.joined(separator: ", "))",
                details: ["columns": .array(unknown.map(JSONValue.string))]
            )
        }
        var seen: Set<String> = []
        for action in actions where !seen.insert(action.sourceColumnName).inserted {
            throw APIError(
                .validationFailed,
                "column \(action.sourceColumnName) has more than one action",
                details: ["column": .string(action.sourceColumnName)]
            )
        }
        let missing = columns.map(\.name).filter { !seen.contains($0) }
        guard missing.isEmpty else {
            throw APIError(
                .missingColumnAction,
                "every column needs an action; missing: \(missing.joined(separator: ", "))",
                details: ["columns": .array(missing.map(JSONValue.string))]
            )
        }
        let byName = Dictionary(columns.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let defaults = defaultNames()
        var resolved: [Resolved] = []
        var targets: [String: String] = [:]
        for action in actions {
            let column = byName[action.sourceColumnName]!
            if strategy == .rows, column.isPrimaryKey, action.action != .mirror {
                throw APIError(
                    .pkMustBeMirrored,
                    "primary-key column \(column.name) must be mirrored in a rows lineage",
                    details: ["column": .string(column.name)]
                )
            }
            if action.mirrorColumnName != nil, action.action != .mirror {
                throw APIError(
                    .validationFailed,
                    "mirror_column_name applies to the mirror action only (column \(column.name))",
                    details: ["column": .string(column.name)]
                )
            }
            let target = try target(of: action, defaults: defaults)
            if let target {
                if let other = targets[target] {
                    throw APIError(
                        .duplicateMirrorColumn,
                        "columns \(other) and \(column.name) both write \(target)",
                        details: ["column": .string(column.name), "mirror_column_name": .string(target)]
                    )
                }
                targets[target] = column.name
            }
            resolved.append(Resolved(action: action, targetColumn: target))
        }
        return resolved
    }

    /// The column each source column writes unless the action names one: distinct by
    /// construction from each other and from a series' own columns. A name an operator chose
    /// that equals one of them is a `duplicate_mirror_column` (the key keeps its natural name).
    public func defaultNames() -> [String: String] {
        MirrorIdentifier.columnNames(
            forSourceColumns: columns.map(\.name),
            reserved: Self.reservedColumns(strategy)
        )
    }

    private func target(of action: ColumnAction, defaults: [String: String]) throws(APIError) -> String? {
        let column = action.sourceColumnName
        switch action.action {
        case .ignore, .defer:
            return nil
        case .mirror:
            let name =
                action.mirrorColumnName ?? defaults[column] ?? MirrorIdentifier.columnName(forSourceColumn: column)
            if let problem = MirrorIdentifier.problem(withColumnName: name) {
                throw APIError(
                    .invalidMirrorColumnName,
                    "mirror column name \(name) \(problem)",
                    details: ["column": .string(column)]
                )
            }
            if Self.reservedColumns(strategy).contains(name) {
                throw APIError(
                    .duplicateMirrorColumn,
                    "\(name) is a column every series has; choose another name for \(column)",
                    details: ["column": .string(column), "mirror_column_name": .string(name)]
                )
            }
            return name
        case .map:
            try requireTelemetry(action)
            guard let id = action.deviceDataPointID, let name = dataPoints[id] else {
                throw APIError(
                    .dataPointRequired,
                    "map needs device_data_point_id naming an existing data point of the device (column \(column))",
                    details: ["column": .string(column)]
                )
            }
            return MirrorIdentifier.columnNames(forSourceColumns: [name], reserved: Self.reservedColumns(strategy))[
                name
            ]
        case .autoCreateAndMap:
            try requireTelemetry(action)
            guard allowAutoCreate else {
                throw APIError(
                    .autoCreateNotAllowed,
                    "policy allow_auto_create_device_data_points is off; map \(column) to an existing data point",
                    details: ["column": .string(column)]
                )
            }
            return defaults[column] ?? MirrorIdentifier.columnName(forSourceColumn: column)
        }
    }

    private func requireTelemetry(_ action: ColumnAction) throws(APIError) {
        guard strategy == .telemetry else {
            throw APIError(
                .validationFailed,
                "\(action.action.rawValue) writes a telemetry series; in a rows lineage mirror \(action.sourceColumnName) instead",
                details: ["column": .string(action.sourceColumnName)]
            )
        }
    }
}

/// What an approval does with one source column (docs/spec/governance.md, "Column actions").
public enum ColumnActionKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// A column of the mirror table.
    case mirror
    /// Values go to an existing data point's telemetry series.
    case map
    /// Create a data point named after the column, then map (needs the policy flag).
    case autoCreateAndMap = "auto_create_and_map"
    /// Dropped from the cloud projection.
    case ignore
    /// Left unbound; the lineage stays paused while a primary-key column is deferred.
    case `defer`
}

/// One column's action in an approval, and (once approved) its binding.
public struct ColumnAction: Codable, Sendable, Hashable {
    public var sourceColumnName: String
    public var action: ColumnActionKind
    /// For `mirror`: the target column; derived from the source name when absent.
    public var mirrorColumnName: String?
    /// For `map`: the data point whose series receives the values.
    public var deviceDataPointID: String?

    public init(
        sourceColumnName: String,
        action: ColumnActionKind,
        mirrorColumnName: String? = nil,
        deviceDataPointID: String? = nil
    ) {
        self.sourceColumnName = sourceColumnName
        self.action = action
        self.mirrorColumnName = mirrorColumnName
        self.deviceDataPointID = deviceDataPointID
    }

    enum CodingKeys: String, CodingKey {
        case sourceColumnName = "source_column_name"
        case action
        case mirrorColumnName = "mirror_column_name"
        case deviceDataPointID = "device_data_point_id"
    }

    /// The mirror column this action writes, with the default derivation applied.
    public var effectiveMirrorColumnName: String? {
        guard action == .mirror else { return nil }
        return mirrorColumnName ?? MirrorIdentifier.columnName(forSourceColumn: sourceColumnName)
    }
}

/// `POST …/approve`.
public struct ApproveReviewRequest: Codable, Sendable, Hashable {
    public var actionVersion: Int
    public var columnActions: [ColumnAction]
    public var syncAuthority: SyncAuthority?
    public var force: Bool?

    public init(
        actionVersion: Int,
        columnActions: [ColumnAction],
        syncAuthority: SyncAuthority? = nil,
        force: Bool? = nil
    ) {
        self.actionVersion = actionVersion
        self.columnActions = columnActions
        self.syncAuthority = syncAuthority
        self.force = force
    }

    enum CodingKeys: String, CodingKey {
        case actionVersion = "action_version"
        case columnActions = "column_actions"
        case syncAuthority = "sync_authority"
        case force
    }
}

/// `POST …/claim`, `…/reject`, `…/abandon`.
public struct ReviewTransitionRequest: Codable, Sendable, Hashable {
    public var actionVersion: Int
    public var reason: String?
    public var force: Bool?

    public init(actionVersion: Int, reason: String? = nil, force: Bool? = nil) {
        self.actionVersion = actionVersion
        self.reason = reason
        self.force = force
    }

    enum CodingKeys: String, CodingKey {
        case actionVersion = "action_version"
        case reason, force
    }
}

/// `POST …/preview`: the column actions an approval would take.
public struct ApprovalPreviewRequest: Codable, Sendable, Hashable {
    public var columnActions: [ColumnAction]

    public init(columnActions: [ColumnAction]) {
        self.columnActions = columnActions
    }

    enum CodingKeys: String, CodingKey {
        case columnActions = "column_actions"
    }
}

import EdgeSyncModels

/// A change the rules decided, for the store to apply inside the transaction that read the state
/// the decision was taken on. Effects are applied in order; the store generates ids.
public enum GovernanceEffect: Sendable, Hashable {
    // Lineages
    case setStatus(lineageID: String, status: LineageStatus, pauseReason: PauseReason?)
    /// Whether the device was told to stop publishing the lineage's table.
    case setDevicePaused(lineageID: String, Bool)
    /// A downlink control for the lineage's device, queued in the outbox.
    case sendControl(lineageID: String?, deviceID: String, DownlinkControl.Payload)
    case openReplay(lineageID: String)
    case record(GovernanceEvent)

    // Schema versions and reviews
    case recordSchemaVersion(SchemaVersionDraft)
    /// A version seen before without columns: the batch brought them.
    case fillSchemaColumns(lineageID: String, hash: String, columnsJSON: String)
    case setCurrentSchema(lineageID: String, hash: String)
    case decideSchemaVersion(lineageID: String, hash: String, decision: SchemaVersion.Decision)
    case queueReview(ReviewDraft)
    case updateReview(reviewID: String, ReviewUpdate)
    /// The lineage takes the registry entry's bindings and shared target for its hash.
    case adoptRegistryEntry(lineageID: String, entryID: String)
    /// The registry's decision on a hash, with the bindings every adopting lineage takes.
    case decideRegistryEntry(entryID: String, decision: SchemaVersion.Decision, bindings: [BindingDraft]?)
    /// Names the shared target of the entry's scope and table.
    case registerSharedTarget(RegistryEntryState, table: String)

    // Approvals
    /// Creates the target, or adds the columns a re-approval brought.
    case provisionTarget(MaterializationTarget)
    case replaceBindings(lineageID: String, hash: String, [BindingDraft])
    /// The version is approved; columns inferred for an `unknown` schema become its columns.
    case approveSchemaVersion(lineageID: String, hash: String, columnsJSON: String)
    case setTarget(lineageID: String, table: String, syncAuthority: SyncAuthority?)

    // Materialization
    case recordMaterialization(MaterializationRecord)
    case resetBreaker(lineageID: String)
    /// Records the end of an epoch's snapshot, to retire once its rows have landed.
    case noteSnapshotEnd(lineageID: String, epoch: String, through: Int64)
    /// Deletes the mirror rows of epochs older than `epoch` (rows the device no longer has).
    case retire(lineageID: String, epoch: String)
    /// A replay step's progress; a completed replay drops its tombstones.
    case progressReplay(intentID: String, replayed: Int, completed: Bool, lastError: String?)
}

/// An event of the history (docs/spec/governance.md, "Events").
public struct GovernanceEvent: Sendable, Hashable {
    public var projectID: String
    public var deviceID: String?
    public var lineageID: String?
    public var kind: EventKind
    public var outcome: String
    public var message: String

    public init(
        projectID: String,
        deviceID: String?,
        lineageID: String?,
        kind: EventKind,
        outcome: String,
        message: String
    ) {
        self.projectID = projectID
        self.deviceID = deviceID
        self.lineageID = lineageID
        self.kind = kind
        self.outcome = outcome
        self.message = message
    }

    /// An event about a lineage.
    public init(_ lineage: LineageState, _ kind: EventKind, outcome: String, message: String) {
        self.init(
            projectID: lineage.projectID,
            deviceID: lineage.deviceID,
            lineageID: lineage.id,
            kind: kind,
            outcome: outcome,
            message: message
        )
    }
}

/// A schema version to record for a lineage.
public struct SchemaVersionDraft: Sendable, Hashable {
    public var lineageID: String
    public var hash: String
    public var columnsJSON: String?
    public var classification: SchemaClassification
    public var decision: SchemaVersion.Decision
}

/// A review to queue: for the lineage whose batch brought the hash (device scope), or for the
/// registry of its scope (project or fleet), with the registry entry it decides.
public struct ReviewDraft: Sendable, Hashable {
    public var scope: ReviewScope
    /// The lineage and device whose batch brought the hash.
    public var lineageID: String
    public var deviceID: String
    public var projectID: String
    /// The device's fleet (device scope), or the registry's ('' for a project registry).
    public var fleetID: String
    public var sourceTable: String
    public var strategy: LineageStrategy
    public var hash: String
    public var previousHash: String?
    public var classification: SchemaClassification
    public var reason: String
    /// A registry entry's columns.
    public var columnsJSON: String?
    /// The event's message.
    public var message: String
    /// An abandoned review this one takes over from: a registry entry keeps its row and points
    /// at the new review instead of getting a second entry.
    public var replacing: String? = nil
}

/// A change of a review's state.
public enum ReviewUpdate: Sendable, Hashable {
    case claimed(by: String, token: String)
    case decided(status: ReviewStatus, by: String?, reason: String?)
}

/// What materializing a run of rows did to a lineage's counters.
public struct MaterializationRecord: Sendable, Hashable {
    public var lineageID: String
    public var rowDelta: Int
    /// Consecutive permanent failures after the run.
    public var consecutiveFailures: Int
    public var failures: Int
    public var lastError: String?
}

/// A registry entry as the rules see it: one hash of a table in a project or fleet scope.
public struct RegistryEntryState: Sendable, Hashable {
    public var id: String
    public var projectID: String
    public var scope: ReviewScope
    /// The fleet of a fleet scope; '' for the project's.
    public var fleetID: String
    public var sourceTable: String
    public var hash: String
    public var strategy: LineageStrategy

    public init(
        id: String,
        projectID: String,
        scope: ReviewScope,
        fleetID: String,
        sourceTable: String,
        hash: String,
        strategy: LineageStrategy
    ) {
        self.id = id
        self.projectID = projectID
        self.scope = scope
        self.fleetID = fleetID
        self.sourceTable = sourceTable
        self.hash = hash
        self.strategy = strategy
    }

    /// Where the shared target's name is derived from.
    public var mirrorScope: MirrorScope { scope == .fleet ? .fleet(id: fleetID) : .project(id: projectID) }
}

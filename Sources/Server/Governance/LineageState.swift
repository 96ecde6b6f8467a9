import EdgeSyncModels

/// What the rules need to know of a lineage: its status, what the device was told, its backlog
/// and its counters, as the store holds them when a decision is taken.
public struct LineageState: Sendable, Hashable {
    public var id: String
    public var projectID: String
    public var deviceID: String
    public var fleetID: String
    public var sourceTable: String
    public var strategy: LineageStrategy
    public var status: LineageStatus
    public var pauseReason: PauseReason?
    /// Whether the device was told (`pause_lineage`) to stop publishing this table.
    public var devicePaused: Bool
    public var stagedRows: Int64
    public var stagedBytes: Int64
    public var consecutiveFailures: Int
    /// `server_watermark`: the last accepted commit_seq (rows) or batch_seq (telemetry).
    public var watermark: Int64
    /// A replay intent is pending or running.
    public var replayOpen: Bool
    public var syncAuthority: SyncAuthority
    /// The target, once approved.
    public var mirrorTable: String?
    /// The journal epoch a telemetry lineage's `batch_seq` counts in ("" before the first batch).
    public var telemetryEpoch: String

    public init(
        id: String,
        projectID: String,
        deviceID: String,
        fleetID: String,
        sourceTable: String,
        strategy: LineageStrategy,
        status: LineageStatus = .active,
        pauseReason: PauseReason? = nil,
        devicePaused: Bool = false,
        stagedRows: Int64 = 0,
        stagedBytes: Int64 = 0,
        consecutiveFailures: Int = 0,
        watermark: Int64 = 0,
        replayOpen: Bool = false,
        syncAuthority: SyncAuthority = .deviceAuthoritative,
        mirrorTable: String? = nil,
        telemetryEpoch: String = ""
    ) {
        self.id = id
        self.projectID = projectID
        self.deviceID = deviceID
        self.fleetID = fleetID
        self.sourceTable = sourceTable
        self.strategy = strategy
        self.status = status
        self.pauseReason = pauseReason
        self.devicePaused = devicePaused
        self.stagedRows = stagedRows
        self.stagedBytes = stagedBytes
        self.consecutiveFailures = consecutiveFailures
        self.watermark = watermark
        self.replayOpen = replayOpen
        self.syncAuthority = syncAuthority
        self.mirrorTable = mirrorTable
        self.telemetryEpoch = telemetryEpoch
    }

    /// Why rows of this lineage are staged now; nil when they materialize.
    public var stagingReason: StagingReason? {
        switch (status, pauseReason) {
        case (.active, _): nil
        case (.paused, .schemaReview?): .schemaReview
        case (.paused, _): .lineagePaused
        }
    }
}

import EdgeSyncModels

/// The server's durable state as the rest of the server sees it: one small protocol per role,
/// each primitive one transaction that reads the state, lets the Governance layer decide and
/// applies its effects. `SQLGovernanceStore` implements them once in SQL over a backend
/// (`SQLiteBackend`); errors are `StoreError`s, which the HTTP layer maps.
public typealias GovernanceStore = TenancyStore & DeviceStore & CredentialStore & IngestStore & ControlOutbox
    & ReviewStore & CatalogueStore & MirrorStore & UploadStore & EventStore & ReplicaStore & StoreLifecycle

/// The store's own life: whether it answers (`/readyz`), and its connections released when the
/// server stops.
public protocol StoreLifecycle: Sendable {
    func isReachable() async -> Bool
    func close() async
}

/// Projects, fleets and their policies.
public protocol TenancyStore: Sendable {
    /// Creates the default org/project/fleet on first start; returns the defaults.
    func bootstrap(now: Timestamp) async throws -> Tenancy
    func projects() async throws -> [Project]
    func fleetExists(id: String, projectID: String) async throws -> Bool
    func fleets(projectID: String, page: PageRequest) async throws -> (items: [Fleet], total: Int)
    /// A fleet without its own policy follows its project's; a project without one, the defaults.
    func policy(projectID: String, fleetID: String?) async throws -> Policy
    func setPolicy(_ policy: Policy, projectID: String, fleetID: String?, now: Timestamp) async throws
}

/// Devices and their credentials.
public protocol DeviceStore: Sendable {
    func device(named name: String, projectID: String) async throws -> DeviceIdentity?
    func device(id: String) async throws -> Device?
    /// `query`: substring of the name or id (`!text`: neither contains it).
    func devices(projectID: String, query: String?, page: PageRequest) async throws -> (items: [Device], total: Int)
    func registerDevice(name: String, projectID: String, fleetID: String, now: Timestamp) async throws -> Device
    func setDevicePassword(deviceID: String, hash: String) async throws
    func passwordHash(deviceID: String) async throws -> String?
    /// Records the serial of the device's newest certificate: the one its connections must present.
    func setDeviceCertificate(deviceID: String, serial: String) async throws
    /// The serial of the certificate the device was issued last; nil when it has none.
    func certificateSerial(deviceID: String) async throws -> String?
    /// Revokes the given credentials with an event naming who did it; returns the device as it
    /// is now, nil when there is no such device in the project.
    func revokeDeviceCredentials(
        deviceID: String,
        projectID: String,
        kinds: Set<CredentialKind>,
        by principal: String,
        now: Timestamp
    ) async throws -> Device?
    /// Deletes a device with all its lineages and credentials; its history (events) stays.
    func deleteDevice(id: String, projectID: String, now: Timestamp) async throws
}

/// API tokens and the responses kept for `Idempotency-Key` replays.
public protocol CredentialStore: Sendable {
    func principal(tokenHash: String) async throws -> Principal?
    func tokens(page: PageRequest) async throws -> (items: [APIToken], total: Int)
    @discardableResult
    func createToken(name: String, tokenHash: String, scopes: [TokenScope], now: Timestamp) async throws -> APIToken
    func revokeToken(id: String, now: Timestamp) async throws -> Bool
    /// The admin token every server of the store shares (`admin.token`): `legacy` (the data
    /// directory's token from before the store kept it) or a new one the first time; a new one
    /// when it was revoked.
    func adminToken(legacy: String?, now: Timestamp) async throws -> String
    /// Reserves `key` for `request` (its status and body unused) unless a request holds it.
    func reserveIdempotencyKey(
        _ request: StoredResponse,
        principalID: String,
        key: String,
        now: Timestamp
    )
        async throws -> IdempotencyReservation
    /// Keeps the reserved request's response for replays.
    func completeIdempotencyKey(
        _ response: StoredResponse,
        principalID: String,
        key: String,
        now: Timestamp
    )
        async throws
    /// Frees a reservation whose request failed, so that it can be retried with its key.
    func releaseIdempotencyKey(principalID: String, key: String) async throws
}

/// The data path: one uplink message per transaction, the replay of staged rows, the
/// backpressure sweep.
public protocol IngestStore: Sendable {
    func commit(_ plan: IngestPlan) async throws -> IngestResult
    func replayStep(limit: Int, now: Timestamp) async throws -> ReplayProgress
    func sweepBackpressure(now: Timestamp) async throws -> [OutboundControl]
    /// A kept rejected batch; throws `payload_not_kept` when it is not (any more).
    func rejectedPayload(entryID: Int64, projectID: String) async throws -> RejectedPayload
    /// Records that an operator re-ingested the rejected entry, and what it became.
    func markReingested(entryID: Int64, as newEntryID: Int64?, by principal: String, now: Timestamp) async throws
}

/// The controls queued for devices until they acknowledge them.
public protocol ControlOutbox: Sendable {
    func acknowledgeControl(deviceID: String, controlID: String, at: Timestamp) async throws -> Bool
    func unacknowledgedControls(deviceID: String) async throws -> [OutboundControl]
    func markControlsSent(ids: [String], at: Timestamp) async throws
}

/// Schema reviews and their decisions.
public protocol ReviewStore: Sendable {
    func reviews(
        projectID: String,
        filter: ReviewFilter,
        page: PageRequest
    ) async throws -> (items: [SchemaReview], total: Int)
    func reviewDetail(id: String, projectID: String) async throws -> SchemaReviewDetail?
    /// Returns the review as it is afterwards and the controls to deliver now.
    func transitionReview(
        id: String,
        projectID: String,
        registry: Bool,
        principal: Principal,
        _ transition: ReviewTransition,
        now: Timestamp
    ) async throws -> (review: SchemaReview, controls: [OutboundControl])
    /// The DDL an approval with `actions` would run now.
    func previewApproval(
        id: String,
        projectID: String,
        registry: Bool,
        actions: [ColumnAction]
    ) async throws
        -> ApprovalPreview
}

/// Lineages, their ledgers and staged rows, data points and the registry, as the API lists them.
public protocol CatalogueStore: Sendable {
    func lineages(
        projectID: String,
        filter: LineageFilter,
        page: PageRequest
    ) async throws -> (items: [Lineage], total: Int)
    func lineageDetail(id: String, projectID: String) async throws -> LineageDetail?
    /// `query`: substring of the row's key or values as JSON (`!text`: neither contains it).
    func stagedRows(
        lineageID: String,
        query: String?,
        page: PageRequest
    ) async throws -> (items: [StagedRow], total: Int)
    func batches(
        projectID: String,
        filter: BatchFilter,
        page: PageRequest
    ) async throws -> (items: [BatchLedgerEntry], total: Int)
    func dataPoints(
        projectID: String,
        deviceID: String?,
        page: PageRequest
    ) async throws -> (items: [DataPoint], total: Int)
    func createDataPoint(
        projectID: String,
        deviceID: String,
        name: String,
        unit: String?,
        now: Timestamp
    ) async throws -> DataPoint
    /// `query`: substring of the table (`!text`: not containing it).
    func registryEntries(
        projectID: String,
        query: String?,
        page: PageRequest
    ) async throws -> (items: [RegistryEntry], total: Int)
    func registryEntry(id: String, projectID: String) async throws -> RegistryEntry?
    func coalescedMirrors(projectID: String, page: PageRequest) async throws -> (items: [CoalescedMirror], total: Int)
    func coalescedMirror(id: String, projectID: String) async throws -> CoalescedMirror?
    /// The counts of a console's header; `mine` counts reviews claimed with `tokenID`.
    func summary(projectID: String, tokenID: String) async throws -> EdgeSummary
}

/// Mirrors: their rows, cloud writes, the breaker's reset, consolidation and deletion.
public protocol MirrorStore: Sendable {
    /// A page of the lineage's target. `order` names a target column (`-` in front: descending);
    /// `query` keeps rows where any text column contains it.
    func mirrorRows(
        lineageID: String,
        page: PageRequest,
        order: String?,
        query: String?
    ) async throws -> (items: [JSONObject], total: Int)
    func writeState(
        deviceID: String,
        lineageID: String,
        projectID: String,
        request: StateWriteRequest,
        now: Timestamp
    ) async throws -> (StateWriteResponse, [OutboundControl])
    func resetMaterialization(
        lineageID: String,
        projectID: String,
        now: Timestamp
    ) async throws -> (ResetMaterializationResponse, [OutboundControl])
    func consolidate(projectID: String, sourceTable: String, now: Timestamp) async throws -> ConsolidationResult
    /// Removes the lineage's cloud state and its target (nothing on the device).
    func deleteLineage(id: String, projectID: String, now: Timestamp) async throws
}

/// Large batches uploaded over HTTP.
public protocol UploadStore: Sendable {
    /// Records the grant and its control; nil (nothing recorded) when the device already holds
    /// `maximumOpen` grants that are neither finalized nor expired.
    func grantUpload(
        _ grant: UploadGrant,
        device: DeviceIdentity,
        maximumOpen: Int,
        now: Timestamp
    ) async throws -> OutboundControl?
    func upload(id: String) async throws -> UploadRecord?
    /// Moves a granted upload to `receiving`, atomically: false when it is not `granted` (another
    /// PUT took it, or it already has its object), so that a grant takes one object once.
    func beginReceiving(uploadID: String, now: Timestamp) async throws -> Bool
    /// Bytes of the device's objects received and not yet finalized.
    func openUploadBytes(deviceID: String) async throws -> Int
    /// False when there is no such upload (its grant expired and was swept).
    @discardableResult
    func setUploadState(id: String, _ state: UploadRecord.State, bytes: Int?, now: Timestamp) async throws -> Bool
    /// Forgets uploads that can no longer be used: grants past their expiry that never got an
    /// object, and objects not finalized `keepReceivedFor` seconds after it. Returns their ids,
    /// whose files the caller removes.
    func expireUploads(now: Timestamp, keepReceivedFor: Int64) async throws -> [String]
    /// Objects kept in the store (`StoreUploadObjects`): chunk `seq` of an upload's object.
    func appendUploadChunk(uploadID: String, seq: Int, bytes: [UInt8]) async throws
    func uploadChunk(uploadID: String, seq: Int) async throws -> [UInt8]?
    func removeUploadChunks(uploadID: String) async throws
}

/// The history.
public protocol EventStore: Sendable {
    func events(projectID: String, filter: EventFilter, page: PageRequest) async throws -> (items: [Event], total: Int)
    func recordEvent(device: DeviceIdentity, kind: EventKind, outcome: String, message: String) async throws
}

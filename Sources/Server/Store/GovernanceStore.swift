import EdgeSyncModels

/// The server's durable state, as the domain sees it. The pipeline and the HTTP API talk only to
/// this protocol; `SQLiteGovernanceStore` implements it with GRDB (no GRDB type leaves the Store
/// folder), so another backend (PostgreSQL) can be added without touching them.
public protocol GovernanceStore: Sendable {
    /// Creates the default org/project/fleet on first start; returns the defaults.
    func bootstrap(now: Timestamp) async throws -> Tenancy

    // Devices and tokens
    func device(named name: String, projectID: String) async throws -> DeviceIdentity?
    func device(id: String) async throws -> Device?
    func devices(projectID: String, page: PageRequest) async throws -> (items: [Device], total: Int)
    func registerDevice(name: String, projectID: String, fleetID: String, now: Timestamp) async throws -> Device
    func setDevicePassword(deviceID: String, hash: String) async throws
    func passwordHash(deviceID: String) async throws -> String?
    func setDeviceCertificate(deviceID: String, serial: String) async throws
    func markDeviceSeen(deviceID: String, at: Timestamp) async throws
    func principal(tokenHash: String) async throws -> Principal?
    func storedResponse(principalID: String, key: String, now: Timestamp) async throws -> StoredResponse?
    func storeResponse(_ response: StoredResponse, principalID: String, key: String, now: Timestamp) async throws

    // Ingest
    func commit(_ plan: IngestPlan) async throws -> IngestResult
    func acknowledgeControl(deviceID: String, controlID: String, at: Timestamp) async throws -> Bool
    func unacknowledgedControls(deviceID: String) async throws -> [OutboundControl]
    func markControlsSent(ids: [String], at: Timestamp) async throws
    func recordEvent(device: DeviceIdentity, kind: EventKind, outcome: String, message: String) async throws

    // Reads
    func lineages(
        projectID: String,
        filter: LineageFilter,
        page: PageRequest
    ) async throws -> (items: [Lineage], total: Int)
    func lineageDetail(id: String, projectID: String) async throws -> LineageDetail?
    func stagedRows(lineageID: String, page: PageRequest) async throws -> (items: [StagedRow], total: Int)
    func batches(
        projectID: String,
        filter: BatchFilter,
        page: PageRequest
    ) async throws -> (items: [BatchLedgerEntry], total: Int)
    func reviews(
        projectID: String,
        filter: ReviewFilter,
        page: PageRequest
    ) async throws -> (items: [SchemaReview], total: Int)
    func reviewDetail(id: String, projectID: String) async throws -> SchemaReviewDetail?
    func events(projectID: String, filter: EventFilter, page: PageRequest) async throws -> (items: [Event], total: Int)
    func projects() async throws -> [Project]

    // Governance settings and catalogues
    func policy(projectID: String, fleetID: String?) async throws -> Policy
    func setPolicy(_ policy: Policy, projectID: String, fleetID: String?, now: Timestamp) async throws
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
    func registryEntries(projectID: String, page: PageRequest) async throws -> (items: [RegistryEntry], total: Int)
    func registryEntry(id: String, projectID: String) async throws -> RegistryEntry?
    func coalescedMirrors(projectID: String, page: PageRequest) async throws -> (items: [CoalescedMirror], total: Int)
    func coalescedMirror(id: String, projectID: String) async throws -> CoalescedMirror?
    func tokens(page: PageRequest) async throws -> (items: [APIToken], total: Int)
    @discardableResult
    func createToken(name: String, tokenHash: String, scopes: [TokenScope], now: Timestamp) async throws -> APIToken
    func revokeToken(id: String, now: Timestamp) async throws -> Bool
    func fleetExists(id: String, projectID: String) async throws -> Bool
    func fleets(projectID: String, page: PageRequest) async throws -> (items: [Fleet], total: Int)

    // Governance decisions and materialization
    func transitionReview(
        id: String,
        projectID: String,
        registry: Bool,
        principal: Principal,
        _ transition: ReviewTransition,
        now: Timestamp
    )
        async throws -> (review: SchemaReview, controls: [OutboundControl])
    func replayStep(limit: Int, now: Timestamp) async throws -> ReplayProgress
    func sweepBackpressure(now: Timestamp) async throws -> [OutboundControl]
    func controlsToResend(sentBefore: Timestamp, limit: Int) async throws -> [OutboundControl]
    func resetMaterialization(
        lineageID: String,
        projectID: String,
        now: Timestamp
    ) async throws -> (ResetMaterializationResponse, [OutboundControl])
    func deleteLineage(id: String, projectID: String, now: Timestamp) async throws
    func deleteDevice(id: String, projectID: String, now: Timestamp) async throws
    func mirrorRows(
        lineageID: String,
        page: PageRequest,
        order: String?,
        query: String?
    ) async throws -> (items: [JSONObject], total: Int)
    func grantUpload(_ grant: UploadGrant, device: DeviceIdentity, now: Timestamp) async throws -> OutboundControl
    func upload(id: String) async throws -> UploadRecord?
    func setUploadState(id: String, _ state: UploadRecord.State, bytes: Int?, now: Timestamp) async throws
    func consolidate(projectID: String, sourceTable: String, now: Timestamp) async throws -> ConsolidationResult
    func writeState(
        deviceID: String,
        lineageID: String,
        projectID: String,
        request: StateWriteRequest,
        now: Timestamp
    )
        async throws -> (StateWriteResponse, [OutboundControl])
}

/// Sends controls a decision produced to their devices (the MQTT listener in a running server).
public protocol ControlCourier: Sendable {
    func deliver(_ controls: [OutboundControl]) async
}

/// The defaults every store has.
public struct Tenancy: Sendable, Hashable {
    public var orgID: String
    public var project: Project
    public var fleetID: String
}

/// A device as the transport knows it: enough to authenticate and route.
public struct DeviceIdentity: Sendable, Hashable {
    public var id: String
    public var name: String
    public var projectID: String
    public var fleetID: String
    public var topicSlug: String

    public var rootTopic: String { TopicLayout(topicSlug: topicSlug).root(deviceName: name) }
}

/// What an API token may do.
public enum TokenScope: String, Sendable, Hashable, Codable, CaseIterable {
    case read
    case mirrorRead = "mirror:read"
    case operate
    case admin
}

/// The caller of an API request.
public struct Principal: Sendable, Hashable {
    public var tokenID: String
    public var name: String
    public var scopes: Set<TokenScope>

    public init(tokenID: String, name: String, scopes: Set<TokenScope>) {
        self.tokenID = tokenID
        self.name = name
        self.scopes = scopes
    }

    /// `admin` implies every other scope.
    public func has(_ scope: TokenScope) -> Bool {
        scopes.contains(scope) || scopes.contains(.admin)
    }
}

/// A mutation's response kept for `Idempotency-Key` replays (24 h).
public struct StoredResponse: Sendable, Hashable {
    public static let lifetimeNanoseconds: Int64 = 24 * 3600 * 1_000_000_000

    public var method: String
    public var path: String
    public var bodyHash: String
    public var status: Int
    public var body: [UInt8]
}

/// A control to (re)deliver to a device.
public struct OutboundControl: Sendable, Hashable {
    public var id: String
    public var body: [UInt8]
    public var deviceName: String
    public var topicSlug: String
}

public struct LineageFilter: Sendable, Hashable {
    public enum Sort: String, Sendable, CaseIterable {
        case updatedAt = "updated_at"
        case staged
        case device
    }

    public var deviceID: String?
    public var fleetID: String?
    public var status: LineageStatus?
    public var sourceTable: String?
    /// Substring of the device name or table name.
    public var query: String?
    public var sort: Sort = .updatedAt

    public init() {}
}

public struct BatchFilter: Sendable, Hashable {
    public var deviceID: String?
    public var lineageID: String?
    public var outcome: BatchOutcome?
    public var code: RejectionCode?

    public init() {}
}

public struct ReviewFilter: Sendable, Hashable {
    public var status: ReviewStatus?
    public var lineageID: String?
    public var deviceID: String?
    /// Registry reviews (project/fleet scope) instead of device reviews.
    public var registry = false

    public init() {}
}

public struct EventFilter: Sendable, Hashable {
    public var kind: EventKind?
    public var deviceID: String?
    public var lineageID: String?
    /// Events with an id greater than this.
    public var since: Int64?

    public init() {}
}

/// Why a store operation failed, with a stable code.
public enum StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    case duplicateDeviceName(String)
    case unknownFleet(String)
    case unknownDevice(String)
    case duplicateDataPoint(String)

    public var code: String {
        switch self {
        case .duplicateDeviceName: "duplicate_device_name"
        case .unknownFleet: "unknown_fleet"
        case .unknownDevice: "unknown_device"
        case .duplicateDataPoint: "duplicate_data_point"
        }
    }

    public var description: String {
        switch self {
        case .duplicateDeviceName(let name): "\(code): a device named \(name) exists"
        case .unknownFleet(let id): "\(code): no fleet \(id) in this project"
        case .unknownDevice(let id): "\(code): no device \(id) in this project"
        case .duplicateDataPoint(let name): "\(code): the device already has a data point named \(name)"
        }
    }
}

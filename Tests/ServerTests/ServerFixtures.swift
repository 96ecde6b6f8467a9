import EdgeSyncModels
import Foundation
import TestSupport
import Testing

@testable import Server

/// The store of a test server: the SQLite file of its data directory, or a new database of the
/// throw-away PostgreSQL cluster when the suites run against PostgreSQL (`TestStore`).
func testStoreLocation(directory: URL) async throws -> StoreLocation {
    try await TestStore.url().map { try StoreLocation(parsing: $0) } ?? .default(dataDirectory: directory.path)
}

/// An SQLite backend on a file in a directory of its own (named after `prefix`), for tests of the
/// backend itself; `cleanUp` removes the directory.
func scratchSQLiteBackend(
    _ prefix: String
) throws -> (
    backend: SQLiteBackend, path: String, cleanUp: @Sendable () -> Void
) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent("store.sqlite").path
    return (try SQLiteBackend(path: path), path, { try? FileManager.default.removeItem(at: directory) })
}

/// A real store in a fresh temporary directory, with one registered device.
struct StoreFixture {
    let directory: URL
    let location: StoreLocation
    let store: SQLGovernanceStore
    let tenancy: Tenancy
    let device: DeviceIdentity
    let pipeline: IngestPipeline

    /// `location`: a store of the test's choice; by default `testStoreLocation`.
    static func make(deviceName: String = "pump-7", location: StoreLocation? = nil) async throws -> StoreFixture {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "edgesync-store-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let chosen: StoreLocation
        if let location { chosen = location } else { chosen = try await testStoreLocation(directory: directory) }
        let store = try await chosen.open()
        let tenancy = try await store.bootstrap(now: .now)
        _ = try await store.registerDevice(
            name: deviceName,
            projectID: tenancy.project.id,
            fleetID: tenancy.fleetID,
            now: .now
        )
        let device = try await store.device(named: deviceName, projectID: tenancy.project.id)!
        return StoreFixture(
            directory: directory,
            location: chosen,
            store: store,
            tenancy: tenancy,
            device: device,
            pipeline: IngestPipeline(store: store)
        )
    }

    func ingest(_ body: String, _ topic: UplinkTopic) async throws -> IngestResult {
        try await ingest(Array(body.utf8), topic)
    }

    func ingest(_ bytes: [UInt8], _ topic: UplinkTopic) async throws -> IngestResult {
        try await pipeline.ingest(device: device, topic: topic, payload: bytes, receivedAt: .now)
    }

    func ingest(_ object: JSONObject, _ topic: UplinkTopic) async throws -> IngestResult {
        try await ingest(CanonicalJSON.string(of: .object(object)), topic)
    }

    var projectID: String { tenancy.project.id }

    /// Approves the first queued review with every one of `schema`'s columns mirrored but the
    /// `ignored` ones.
    func approveFirstReview(mirroring schema: SchemaFingerprint, ignoring ignored: Set<String> = []) async throws {
        let review = try #require(
            try await store.reviews(projectID: projectID, filter: ReviewFilter(), page: PageRequest()).items.first
        )
        _ = try await store.transitionReview(
            id: review.id,
            projectID: projectID,
            registry: false,
            principal: Principal(tokenID: "t", name: "test", scopes: [.admin]),
            .approve(
                ApproveReviewRequest(
                    actionVersion: review.actionVersion,
                    columnActions: schema.columns.map {
                        ColumnAction(sourceColumnName: $0.name, action: ignored.contains($0.name) ? .ignore : .mirror)
                    },
                    force: true
                )
            ),
            now: .now
        )
    }
}

/// A row batch body for table `table` with rows `seqs` (insert of pk = seq).
func rowBatch(
    table: String = "device_state",
    seqs: ClosedRange<Int64>,
    batchID: UUIDv7 = UUIDv7Generator.shared.next(),
    epoch: String = "01936f2e-5c3b-7a00-8000-000000000001",
    columns: SchemaFingerprint? = nil
) -> JSONObject {
    var object: JSONObject = [
        "format_version": .integer(1), "capture_strategy": .string("sqlite_row_batch_v1"),
        "batch_id": .string(batchID.description),
        "journal_epoch": .string(epoch), "source_table": .string(table),
        "schema_hash": .string(columns?.schemaHash ?? String(repeating: "a", count: 64)),
        "first_commit_seq": .integer(seqs.lowerBound), "last_commit_seq": .integer(seqs.upperBound),
        "rows": .array(
            seqs.map { seq in
                .object([
                    "commit_seq": .integer(seq), "op": .string("insert"), "pk": .object(["id": .integer(seq)]),
                    "row": .object(["id": .integer(seq), "mode": .string("m\(seq)")]),
                ])
            }
        ),
    ]
    if let columns { object["schema_columns"] = columns.jsonValue }
    return object
}

let deviceStateV1 = SchemaFingerprint(
    tableName: "device_state",
    columns: [
        SchemaColumn(name: "id", declTypeAffinity: .integer, pkOrdinal: 1, notNull: true),
        SchemaColumn(name: "mode", declTypeAffinity: .text, pkOrdinal: 0, notNull: false),
    ]
)

let deviceStateV2 = SchemaFingerprint(
    tableName: "device_state",
    columns: deviceStateV1.columns + [
        SchemaColumn(name: "zone", declTypeAffinity: .text, pkOrdinal: 0, notNull: false)
    ]
)

import EdgeSyncModels
import Foundation
import MQTT
import NIOCore
import TestSupport
import Testing

@testable import Server

/// Several servers on one PostgreSQL database (the throw-away cluster): each with its own MQTT
/// listener and HTTP API, coordinating through the store.
@Suite("Replicas on one PostgreSQL store", .serialized)
struct ReplicaTests {
    actor Count {
        private(set) var value = 0
        func add() { value += 1 }
    }

    /// A store opened at `url` and bootstrapped, with a device that events can name.
    static func bootstrapped(_ url: String) async throws -> (SQLGovernanceStore, Tenancy, DeviceIdentity) {
        let store = try await StoreLocation(parsing: url).open()
        let tenancy = try await store.bootstrap(now: .now)
        let device = DeviceIdentity(
            id: "d",
            name: "d",
            projectID: tenancy.project.id,
            fleetID: tenancy.fleetID,
            topicSlug: "dev"
        )
        return (store, tenancy, device)
    }

    /// Replicas of one new database, each in its own data directory.
    struct Replicas {
        let servers: [GovernanceServer]
        let endpoints: [GovernanceServer.Endpoints]
        let location: StoreLocation

        static func start(_ count: Int = 2) async throws -> Replicas {
            let location = try StoreLocation(parsing: try await PostgresCluster.shared().createDatabase())
            var servers: [GovernanceServer] = []
            var endpoints: [GovernanceServer.Endpoints] = []
            for index in 0..<count {
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                    "edgesync-replica-\(UUID().uuidString)"
                )
                var configuration = ServerConfiguration(
                    dataDirectory: directory.path,
                    httpPort: 0,
                    mqttPort: 0,
                    devOpen: true,
                    store: location
                )
                configuration.replicaID = "replica-\(index)"
                configuration.maintenanceInterval = .milliseconds(200)
                let server = try await GovernanceServer.open(configuration)
                endpoints.append(try await server.start())
                servers.append(server)
            }
            return Replicas(servers: servers, endpoints: endpoints, location: location)
        }

        func api(_ index: Int) -> LiveHTTP {
            LiveHTTP(
                baseURL: endpoints[index].http + "/core/api/v1/projects/\(servers[index].tenancy.project.id)",
                token: servers[index].adminToken
            )
        }

        func client(_ index: Int, _ name: String) -> MQTTClient {
            MQTTClient(
                configuration: .init(
                    host: "127.0.0.1",
                    port: ServerEndToEndTests.mqttPort(endpoints[index]),
                    clientID: name
                )
            )
        }

        func stop() async {
            for server in servers { await server.stop() }
        }
    }

    @Test func everyReplicaServesTheSameSecretsAndTenancy() async throws {
        let replicas = try await Replicas.start(3)
        let (a, b, c) = (replicas.servers[0], replicas.servers[1], replicas.servers[2])
        #expect(a.adminToken == b.adminToken && b.adminToken == c.adminToken)
        for server in replicas.servers {
            let file = URL(fileURLWithPath: server.configuration.dataDirectory).appendingPathComponent("admin.token")
            #expect(
                try String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                    == a.adminToken
            )
        }
        #expect(a.tenancy.project.id == c.tenancy.project.id)
        #expect(a.deviceAuthority.certificate == b.deviceAuthority.certificate)
        #expect(a.uploads.signature(uploadID: "u", expires: 9) == c.uploads.signature(uploadID: "u", expires: 9))
        // A certificate issued through one replica is signed by the CA every replica trusts.
        let issued = try b.deviceAuthority.issueClientCertificate(deviceName: "pump-7")
        #expect(issued.caCertificatePEM == (try a.deviceAuthority.certificate.serializeAsPEM().pemString))
        await replicas.stop()
    }

    @Test func aDeviceThatConnectsToAnotherReplicaIsLetGo() async throws {
        let replicas = try await Replicas.start()
        let first = replicas.client(0, "pump-7")
        try await first.connect()
        let devices = try await replicas.api(1).waitFor("/devices", as: PageEnvelope<Device>.self) {
            $0.data.first?.connected == true
        }
        #expect(devices.data.map(\.connected) == [true], "connected, seen from the other replica")
        let second = replicas.client(1, "pump-7")
        try await second.connect()
        let deadline = ContinuousClock.now + hangDeadline
        while await first.isConnected, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(await !first.isConnected, "the first replica closed its connection")
        #expect(await second.isConnected)
        let store = try #require(replicas.servers[0].store as? SQLGovernanceStore)
        let sessions = try await store.backend.read {
            try $0.query("SELECT replica_id FROM device_session").map { $0[0].text }
        }
        #expect(sessions == ["replica-1"])
        await first.shutdown()
        await second.shutdown()
        await replicas.stop()
    }

    @Test func aControlDecidedOnOneReplicaReachesTheDeviceOnAnother() async throws {
        let replicas = try await Replicas.start()
        let device = replicas.client(0, "pump-7")
        try await device.connect()
        let control = "dev/pump-7/sync/ingest/control"
        _ = try await device.subscribe([.init(topicFilter: control, qos: .atLeastOnce)])
        try await device.publish(
            topic: "dev/pump-7/sync/rows/batch",
            payload: ByteBuffer(
                string: CanonicalJSON.string(of: .object(rowBatch(seqs: 1...3, columns: deviceStateV1)))
            )
        )
        // The review is decided through replica 1 and the cloud writes a row there.
        let operatorAPI = replicas.api(1)
        let review = try await operatorAPI.waitFor("/edge/schema-reviews", as: PageEnvelope<SchemaReview>.self) {
            !$0.data.isEmpty
        }.data[0]
        _ = try await operatorAPI.post(
            "/edge/schema-reviews/\(review.id)/claim",
            body: #"{"action_version":1}"#,
            as: ResourceEnvelope<SchemaReview>.self
        )
        _ = try await operatorAPI.post(
            "/edge/schema-reviews/\(review.id)/approve",
            body: #"""
                {"action_version":2,"sync_authority":"cloud_authoritative","column_actions":[
                {"source_column_name":"id","action":"mirror"},{"source_column_name":"mode","action":"mirror"}]}
                """#,
            as: ResourceEnvelope<SchemaReview>.self
        )
        let written = try await operatorAPI.post(
            "/devices/\(review.deviceID!)/edge/state-tables/\(review.lineageID!)/rows",
            body: #"{"rows":[{"pk":{"id":2},"values":{"mode":"cloud"}}]}"#,
            as: ResourceEnvelope<StateWriteResponse>.self
        ).data
        var messages = device.messages.makeAsyncIterator()
        var delivered = try #require(await messages.next())
        var body = try #require(try JSONParser().parse(Array(delivered.payload.readableBytesView)).objectValue)
        // The connection opened with the server's hello.
        while body["control_kind"] == .string("server_hello") {
            await delivered.acknowledge()
            delivered = try #require(await messages.next())
            body = try #require(try JSONParser().parse(Array(delivered.payload.readableBytesView)).objectValue)
        }
        #expect(body["control_id"] == .string(written.controlID) && body["control_kind"] == .string("state_write"))
        await delivered.acknowledge()
        try await device.publish(
            topic: "dev/pump-7/sync/ingest/ack",
            payload: ByteBuffer(string: #"{"format_version":1,"control_id":"\#(written.controlID)"}"#)
        )
        let acked = try await operatorAPI.waitFor("/events?kind=edge_control.acked", as: PageEnvelope<Event>.self) {
            $0.meta.total >= 1
        }
        #expect(acked.meta.total == 1)
        await device.shutdown()
        await replicas.stop()
    }

    /// Events are numbered when written but committed in any order: a reader never returns one
    /// behind a transaction still running, so that following `since` never skips an event.
    @Test func theEventReaderFollowsCommitOrder() async throws {
        let (store, tenancy, device) = try await Self.bootstrapped(try await PostgresCluster.shared().createDatabase())
        let slow = await Self.openEventTransaction(store, tenancy, outcome: "slow")
        try await store.recordEvent(device: device, kind: .deviceConnected, outcome: "fast", message: "second")
        var filter = EventFilter()
        filter.since = 0
        let whileOpen = try await store.events(projectID: tenancy.project.id, filter: filter, page: PageRequest())
        #expect(whileOpen.items.isEmpty, "nothing behind a running transaction: \(whileOpen.items.map(\.outcome))")
        slow.release.signal()
        try await slow.task.value
        // Both show once no older transaction of this database runs.
        let after = try await Self.events(store, tenancy, filter, count: 2)
        #expect(after.items.map(\.outcome) == ["slow", "fast"])
        filter.since = after.items[0].id
        #expect(
            try await store.events(projectID: tenancy.project.id, filter: filter, page: PageRequest()).items.map(
                \.outcome
            ) == ["fast"]
        )
        await store.close()
    }

    /// The horizon is per database: a transaction held open in another database of the cluster
    /// holds back none of this one's events.
    @Test func aTransactionInAnotherDatabaseHoldsBackNoEvents() async throws {
        let cluster = try await PostgresCluster.shared()
        let (store, tenancy, device) = try await Self.bootstrapped(try await cluster.createDatabase())
        let (other, otherTenancy, _) = try await Self.bootstrapped(try await cluster.createDatabase())
        let held = await Self.openEventTransaction(other, otherTenancy, outcome: "elsewhere")
        try await store.recordEvent(device: device, kind: .deviceConnected, outcome: "here", message: "after it")
        var filter = EventFilter()
        filter.since = 0
        let read = try await Self.events(store, tenancy, filter, count: 1)
        #expect(read.items.map(\.outcome) == ["here"], "while the other database's transaction is still open")
        held.release.signal()
        try await held.task.value
        await store.close()
        await other.close()
    }

    /// The events after `filter.since` once there are `count` of them (or after 30 s). Polled: a
    /// short transaction, of another test say, that runs when a read's snapshot is taken and has
    /// ended before its owner is looked up holds back that one read.
    static func events(
        _ store: SQLGovernanceStore,
        _ tenancy: Tenancy,
        _ filter: EventFilter,
        count: Int
    ) async throws -> (items: [Event], total: Int) {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let read = try await store.events(projectID: tenancy.project.id, filter: filter, page: PageRequest())
            if read.items.count >= count || ContinuousClock.now > deadline { return read }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// A transaction that writes an event and stays open until `release` is signalled; returns
    /// once the event is written.
    static func openEventTransaction(
        _ store: SQLGovernanceStore,
        _ tenancy: Tenancy,
        outcome: String
    ) async -> (task: Task<Void, any Error>, release: DispatchSemaphore) {
        let (inside, entered) = AsyncStream.makeStream(of: Void.self)
        let release = DispatchSemaphore(value: 0)
        let task = Task {
            try await store.backend.write { tx in
                try SQLGovernanceStore.insertEvent(
                    tx,
                    GovernanceEvent(
                        projectID: tenancy.project.id,
                        deviceID: nil,
                        lineageID: nil,
                        kind: .deviceConnected,
                        outcome: outcome,
                        message: "held open"
                    ),
                    at: .now
                )
                entered.yield()
                release.wait()
            }
        }
        // Awaited, not waited for: a blocked test task could starve the transactions it waits on.
        for await _ in inside { break }
        return (task, release)
    }

    @Test func replicasStartingTogetherMigrateOnce() async throws {
        let url = try await PostgresCluster.shared().createDatabase()
        let stores = try await withThrowingTaskGroup(of: SQLGovernanceStore.self) { group in
            for _ in 0..<3 { group.addTask { try await StoreLocation(parsing: url).open() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let applied = try await stores[0].backend.read {
            try $0.strings("SELECT name FROM schema_migration ORDER BY name")
        }
        #expect(applied == PostgresMigrations.all.map(\.name))
        let tenancies = try await withThrowingTaskGroup(of: String.self) { group in
            for store in stores { group.addTask { try await store.bootstrap(now: .now).project.id } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(tenancies.count == 1, "one default project whichever replica starts first")
        for store in stores { await store.close() }
    }

    @Test func oneIdempotencyKeyActsOnceAcrossReplicas() async throws {
        let url = try await PostgresCluster.shared().createDatabase()
        let stores = [try await StoreLocation(parsing: url).open(), try await StoreLocation(parsing: url).open()]
        let request = StoredResponse(method: "POST", path: "/x", bodyHash: "h", status: 0, body: [])
        let outcomes = try await withThrowingTaskGroup(of: IdempotencyReservation.self) { group in
            for index in 0..<8 {
                group.addTask {
                    try await stores[index % 2].reserveIdempotencyKey(request, principalID: "p", key: "k", now: .now)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == .reserved }.count == 1)
        #expect(outcomes.filter { $0 == .inProgress }.count == 7)
        for store in stores { await store.close() }
    }

    @Test func theSweepsRunOnOneReplicaAndMoveWhenItStops() async throws {
        let location = try StoreLocation(parsing: try await PostgresCluster.shared().createDatabase())
        _ = try await location.open()
        let coordinations = (0..<3).map { location.coordination(applicationName: "replica \($0)") }
        let runs = coordinations.map { coordination in Task { await coordination.run {} } }
        func holders() -> [Int] { coordinations.indices.filter { coordinations[$0].holdsSweeps } }
        let deadline = ContinuousClock.now + hangDeadline
        while holders().isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        let first = holders()
        #expect(first.count == 1)
        runs[first[0]].cancel()
        await runs[first[0]].value
        while holders().isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(holders().count == 1 && holders() != first, "taken over: \(holders())")
        for run in runs { run.cancel() }
    }

    /// Replay intents are claimed: a replica passes over one another replica is draining.
    @Test func replicasDrainDifferentReplays() async throws {
        let fixture = try await StoreFixture.make(
            location: StoreLocation(parsing: PostgresCluster.shared().createDatabase())
        )
        for table in ["a", "b"] {
            _ = try await fixture.ingest(
                rowBatch(
                    table: table,
                    seqs: 1...5,
                    columns: SchemaFingerprint(tableName: table, columns: deviceStateV1.columns)
                ),
                .rowBatch
            )
        }
        let admin = Principal(tokenID: "t", name: "test", scopes: [.admin])
        for review in try await fixture.store.reviews(
            projectID: fixture.projectID,
            filter: ReviewFilter(),
            page: PageRequest()
        ).items {
            _ = try await fixture.store.transitionReview(
                id: review.id,
                projectID: fixture.projectID,
                registry: false,
                principal: admin,
                .approve(
                    ApproveReviewRequest(
                        actionVersion: 1,
                        columnActions: deviceStateV1.columns.map {
                            ColumnAction(sourceColumnName: $0.name, action: .mirror)
                        },
                        force: true
                    )
                ),
                now: .now
            )
        }
        let other = try await fixture.location.open()
        let (inside, entered) = AsyncStream.makeStream(of: Void.self)
        let release = DispatchSemaphore(value: 0)
        // One replica holds the first intent (as a replay step does) and stays in its transaction.
        let holding = Task {
            try await other.backend.write { tx in
                let held = try tx.query(
                    "SELECT lineage_id FROM replay_intent ORDER BY created_at LIMIT 1\(tx.claimRows)"
                )
                entered.yield()
                release.wait()
                return held.first?[0].text
            }
        }
        // Awaited, not waited for: a blocked test task could starve the transactions it waits on.
        for await _ in inside { break }
        let step = try await fixture.store.replayStep(limit: 100, now: .now)
        release.signal()
        let held = try await holding.value
        #expect(step.replayed == 5 && step.lineageID != nil && step.lineageID != held, "the other intent, at once")
        await other.close()
    }
}

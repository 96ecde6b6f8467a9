import EdgeSyncModels
import Foundation
import MQTT
import NIOCore
import NIOPosix
import NIOSSL
import TestSupport
import Testing

@testable import Server

/// A running `GovernanceServer` with real devices over MQTT, read back over real HTTP.
@Suite("End to end: devices → MQTT → store → HTTP", .serialized)
struct ServerEndToEndTests {
    static func open(
        devOpen: Bool = false,
        directory: URL? = nil,
        store: StoreLocation? = nil,
        _ configure: (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> (GovernanceServer, GovernanceServer.Endpoints, URL) {
        let directory =
            directory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("edgesync-e2e-\(UUID().uuidString)")
        let location: StoreLocation
        if let store { location = store } else { location = try await testStoreLocation(directory: directory) }
        var configuration = ServerConfiguration(
            dataDirectory: directory.path,
            httpPort: 0,
            mqttPort: 0,
            devOpen: devOpen,
            store: location
        )
        configure(&configuration)
        let server = try await GovernanceServer.open(configuration)
        return (server, try await server.start(), directory)
    }

    static func mqttPort(_ endpoints: GovernanceServer.Endpoints) -> Int {
        Int(endpoints.mqtt!.split(separator: ":").last!)!
    }

    /// A password device's client on the server's plain listener.
    static func client(_ endpoints: GovernanceServer.Endpoints, device: String, password: String) -> MQTTClient {
        MQTTClient(
            configuration: .init(
                host: "127.0.0.1",
                port: mqttPort(endpoints),
                clientID: device,
                username: device,
                password: Array(password.utf8)
            )
        )
    }

    @Test func passwordDevicesPublishTheVectorsAndEverythingIsVisibleOverHTTP() async throws {
        let (server, endpoints, directory) = try await Self.open()
        let project = server.tenancy.project.id
        let api = LiveHTTP(baseURL: endpoints.http + "/core/api/v1/projects/\(project)", token: server.adminToken)
        // Register two devices and issue their passwords over the API.
        var secrets: [String: String] = [:]
        for name in ["pump-7", "valve-1"] {
            let device = try await api.post(
                "/devices",
                body: #"{"name":"\#(name)"}"#,
                as: ResourceEnvelope<Device>.self
            ).data
            secrets[name] = try await api.post(
                "/devices/\(device.id)/credentials",
                body: #"{"kind":"password"}"#,
                as: ResourceEnvelope<IssuedCredentials>.self
            ).data.password
        }
        // Our client publishes every vector and acknowledges the batch_rejected controls it gets.
        let client = MQTTClient(
            configuration: .init(
                host: "127.0.0.1",
                port: Self.mqttPort(endpoints),
                clientID: "pump-7",
                username: "pump-7",
                password: Array(secrets["pump-7"]!.utf8)
            )
        )
        try await client.connect()
        #expect(
            try await client.subscribe([.init(topicFilter: "dev/pump-7/sync/ingest/control", qos: .atLeastOnce)]) == [
                .granted(.atLeastOnce)
            ]
        )
        let vectors = try SpecVectors.payloads()
        for vector in vectors {
            try await client.publish(
                topic: "dev/pump-7/" + vector.topicSuffix,
                payload: ByteBuffer(bytes: vector.bytes)
            )
        }
        let rejected = vectors.filter { $0.expect != "ok" }
        var controls = client.messages.makeAsyncIterator()
        // Delivery is at least once: a control may come twice; each id counts once.
        var reasons: [String] = []
        var seen: Set<String> = []
        while reasons.count < rejected.count {
            let message = try #require(await controls.next())
            let control = try JSONDecoder().decode(DownlinkControl.self, from: Data(buffer: message.payload))
            if seen.insert(control.controlID).inserted, case .batchRejected(_, _, let reason, _) = control.payload {
                reasons.append(reason.rawValue)
            }
            try await client.publish(
                topic: "dev/pump-7/sync/ingest/ack",
                payload: ByteBuffer(string: #"{"format_version":1,"control_id":"\#(control.controlID)"}"#)
            )
            await message.acknowledge()
        }
        #expect(reasons == rejected.map(\.expect))
        // mosquitto_pub as a third-party device with its password; a wrong one is refused.
        let port = String(Self.mqttPort(endpoints))
        let published = try await ProcessRunner.run(
            "mosquitto_pub",
            [
                "-h", "127.0.0.1", "-p", port, "-V", "mqttv311", "-i", "valve-1", "-u", "valve-1", "-P",
                secrets["valve-1"]!,
                "-q", "1", "-t", "dev/valve-1/sync/rows/batch", "-m", try SpecVectors.body("valid row batch"),
            ]
        )
        #expect(published.status == 0, "\(published.stderr)")
        let refused = try await ProcessRunner.run(
            "mosquitto_pub",
            [
                "-h", "127.0.0.1", "-p", port, "-V", "mqttv311", "-i", "valve-1", "-u", "valve-1", "-P", "guess",
                "-q", "1", "-t", "dev/valve-1/sync/rows/batch", "-m", "{}",
            ]
        )
        #expect(refused.status != 0)

        let ledger = try await api.get("/edge/batches?limit=100", as: PageEnvelope<BatchLedgerEntry>.self)
        #expect(ledger.data.map { $0.rejectionCode?.rawValue ?? "ok" } == vectors.map(\.expect) + ["ok"])
        let lineages = try await api.get("/edge/lineages?sort=device", as: PageEnvelope<Lineage>.self).data
        #expect(
            lineages.map { "\($0.deviceName)/\($0.sourceTable)" } == [
                "pump-7/device_state", "pump-7/temps", "valve-1/device_state",
            ]
        )
        #expect(lineages.allSatisfy { $0.status == .paused && $0.pauseReason == .schemaReview })
        let reviews = try await api.get("/edge/schema-reviews?status=queued", as: PageEnvelope<SchemaReview>.self)
        #expect(reviews.meta.total == 3)
        let staged = try await api.get("/edge/lineages/\(lineages[2].id)/staged-rows", as: PageEnvelope<StagedRow>.self)
        #expect(staged.data.map(\.op) == [.insert, .update, .delete] && staged.meta.source == "staged")
        let acked = try await api.waitFor("/events?kind=edge_control.acked", as: PageEnvelope<Event>.self) {
            $0.meta.total == rejected.count
        }
        #expect(acked.meta.total == rejected.count)
        let pending = try await server.store.unacknowledgedControls(deviceID: lineages[0].deviceID)
        #expect(pending.isEmpty)
        await client.shutdown()
        await server.stop()

        // A restart keeps everything and the same admin token.
        let (again, endpointsAgain, _) = try await Self.open(
            directory: directory,
            store: server.configuration.storeLocation
        )
        #expect(again.adminToken == server.adminToken)
        let reopened = LiveHTTP(
            baseURL: endpointsAgain.http + "/core/api/v1/projects/\(project)",
            token: again.adminToken
        )
        #expect(try await reopened.get("/edge/lineages", as: PageEnvelope<Lineage>.self).meta.total == 3)
        let mode =
            try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent("admin.token").path)[
                .posixPermissions
            ] as? Int
        #expect(mode == 0o600)
        await again.stop()
    }

    @Test func aTakenPortIsNamedWithTheFlagThatChangesIt() async throws {
        let (first, endpoints, _) = try await Self.open()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "edgesync-taken-\(UUID().uuidString)"
        )
        let second = try await GovernanceServer.open(
            ServerConfiguration(
                dataDirectory: directory.path,
                httpPort: 0,
                mqttPort: Self.mqttPort(endpoints),
                store: try await testStoreLocation(directory: directory)
            )
        )
        do {
            _ = try await second.start()
            Issue.record("two servers bound one MQTT port")
        } catch let error as ServerError {
            #expect(error.code == "cannot_listen")
            #expect(
                error.description.contains("127.0.0.1:\(Self.mqttPort(endpoints))")
                    && error.description.contains("--mqtt-port")
            )
        }
        await second.stop()
        await first.stop()
    }

    /// A console watching the event stream does not hold the server up: a graceful shutdown
    /// ends the stream, and the server stops.
    @Test func aStopEndsOpenEventStreams() async throws {
        // Longer than the test waits: the stream must end because the server stops, not
        // because the grace period ran out and cancelled it.
        let (server, endpoints, _) = try await Self.open { $0.shutdownGracePeriod = hangDeadline * 10 }
        let url = endpoints.http + "/core/api/v1/projects/\(server.tenancy.project.id)/events/stream?since=999999999"
        let curl = try ProcessRunner.start(
            "curl",
            ["-sSiN", "-H", "Authorization: Bearer \(server.adminToken)", url]
        )
        let deadline = ContinuousClock.now + hangDeadline
        while !curl.output().stdout.contains("text/event-stream"), curl.isRunning, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(curl.output().stdout.contains("200"), "\(curl.output().stderr)")
        let stopping = Task { await server.stop() }
        let ended = await curl.wait(timeout: hangDeadline)
        #expect(!curl.timedOut, "the stream stayed open through the stop")
        #expect(ended.status == 0 || ended.status == 18, "curl: \(ended.status) \(ended.stderr)")
        await stopping.value
    }

    /// A request whose headers never end is closed after the idle timeout, and connections past
    /// the cap wait until one closes: slow clients cannot hold the server's descriptors.
    @Test func stalledRequestsAreClosedAndConnectionsCapped() async throws {
        let (server, endpoints, _) = try await Self.open {
            $0.httpIdleTimeout = .seconds(2)
            $0.maximumHTTPConnections = 1
        }
        let port = Int(endpoints.http.split(separator: ":").last!)!
        let stalled = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port).get()
        try await stalled.writeAndFlush(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: x\r\n")).get()
        // While the stalled connection holds the only place, another request is not served.
        let waiting = try await ProcessRunner.run("curl", ["-s", "--max-time", "1", endpoints.http + "/healthz"])
        #expect(waiting.status == 28, "served past the connection cap: \(waiting.stdout)")
        let closed = Task {
            try await stalled.closeFuture.get()
            return true
        }
        let deadline = Task {
            try await Task.sleep(for: hangDeadline)
            closed.cancel()
        }
        #expect(try await closed.value, "the stalled request stayed open")
        deadline.cancel()
        let served = try await ProcessRunner.run("curl", ["-sf", endpoints.http + "/healthz"])
        #expect(served.status == 0 && served.stdout.contains("ok"), "\(served.stderr)")
        await server.stop()
    }

    @Test func devOpenRegistersUnknownDevicesOnFirstConnect() async throws {
        let (server, endpoints, _) = try await Self.open(devOpen: true)
        let api = LiveHTTP(
            baseURL: endpoints.http + "/core/api/v1/projects/\(server.tenancy.project.id)",
            token: server.adminToken
        )
        let output = try await ProcessRunner.run(
            "mosquitto_pub",
            [
                "-h", "127.0.0.1", "-p", String(Self.mqttPort(endpoints)), "-V", "mqttv311", "-i", "sensor-42",
                "-q", "1", "-t", "dev/sensor-42/sync/telemetry/batch", "-m",
                try SpecVectors.body("valid telemetry batch"),
            ]
        )
        #expect(output.status == 0, "\(output.stderr)")
        let devices = try await api.get("/devices", as: PageEnvelope<Device>.self)
        #expect(devices.data.map(\.name) == ["sensor-42"])
        #expect(try await api.get("/edge/lineages", as: PageEnvelope<Lineage>.self).data.first?.stagedRowCount == 2)
        let (status, metrics) = try await LiveHTTP(baseURL: endpoints.http, token: "").request("GET", "/metrics")
        let text = String(decoding: metrics, as: UTF8.self)
        #expect(status == 200)
        #expect(text.contains(#"edgesync_batches_total{outcome="staged"} 1"#), "\(text)")
        #expect(text.contains("edgesync_rows_staged_total 2"))
        #expect(text.contains("edgesync_ingest_duration_seconds_count 1"))
        #expect(text.contains("edgesync_connected_devices"))
        let bad = try await ProcessRunner.run(
            "mosquitto_pub",
            [
                "-h", "127.0.0.1", "-p", String(Self.mqttPort(endpoints)), "-V", "mqttv311", "-i", "bad name!", "-q",
                "1", "-t", "x", "-m", "x",
            ]
        )
        #expect(bad.status != 0)
        await server.stop()
    }
}

@Suite("End to end: mTLS with a certificate issued by the server", .serialized)
struct MutualTLSEndToEndTests {
    @Test func aDeviceCertificateFromTheAPIConnectsAndOthersAreRefused() async throws {
        let certificates = try await TestCertificates.make()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "edgesync-mtls-\(UUID().uuidString)"
        )
        let server = try await GovernanceServer.open(
            ServerConfiguration(
                dataDirectory: directory.path,
                httpPort: 0,
                mqttPort: nil,
                mqttsPort: 0,
                tlsCertificatePath: certificates.serverCertificate,
                tlsKeyPath: certificates.serverKey,
                store: try await testStoreLocation(directory: directory)
            )
        )
        let endpoints = try await server.start()
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("device-ca.pem").path))
        let api = LiveHTTP(
            baseURL: endpoints.http + "/core/api/v1/projects/\(server.tenancy.project.id)",
            token: server.adminToken
        )
        var devices: [String: Device] = [:]
        for name in ["pump-7", "valve-1"] {
            devices[name] = try await api.post(
                "/devices",
                body: #"{"name":"\#(name)"}"#,
                as: ResourceEnvelope<Device>.self
            ).data
        }
        /// Issues a certificate over the API and writes it and its key to files named `file`.
        func issue(_ device: Device, as file: String) async throws -> (IssuedCredentials, String, String) {
            let issued = try await api.post(
                "/devices/\(device.id)/credentials",
                body: #"{"kind":"certificate"}"#,
                as: ResourceEnvelope<IssuedCredentials>.self
            ).data
            let certificate = directory.appendingPathComponent(file + ".pem").path
            let key = directory.appendingPathComponent(file + ".key").path
            try issued.certificatePEM!.write(toFile: certificate, atomically: true, encoding: .utf8)
            try issued.privateKeyPEM!.write(toFile: key, atomically: true, encoding: .utf8)
            return (issued, certificate, key)
        }
        let (issued, certificate, key) = try await issue(devices["pump-7"]!, as: "pump-7")
        #expect(
            issued.caCertificatePEM == (try String(contentsOfFile: server.deviceCACertificatePath, encoding: .utf8))
        )
        let port = endpoints.mqtts!.split(separator: ":").last!
        func publish(id: String, certificate: String, key: String) async throws -> ProcessRunner.Output {
            try await ProcessRunner.run(
                "mosquitto_pub",
                [
                    "-h", "127.0.0.1", "-p", String(port), "-V", "mqttv311", "--cafile", certificates.caCertificate,
                    "--cert", certificate, "--key", key, "-i", id, "-q", "1", "-t", "dev/\(id)/sync/rows/batch",
                    "-m", try SpecVectors.body("valid row batch"),
                ]
            )
        }
        let accepted = try await publish(id: "pump-7", certificate: certificate, key: key)
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(
            try await api.get("/edge/lineages", as: PageEnvelope<Lineage>.self).data.map(\.deviceName) == ["pump-7"]
        )
        // Another device's id with pump-7's certificate: CN mismatch, not authorized.
        let mismatch = try await publish(id: "valve-1", certificate: certificate, key: key)
        #expect(mismatch.status != 0)
        // A certificate from a CA the server does not trust fails the handshake.
        let foreign = try await publish(
            id: "pump-7",
            certificate: certificates.foreignCertificate,
            key: certificates.foreignKey
        )
        #expect(foreign.status != 0)
        #expect(
            try await api.get("/devices/\(devices["pump-7"]!.id)", as: ResourceEnvelope<Device>.self).data
                .credentialKinds == [.certificate]
        )

        // A second certificate supersedes the first: only the newest one connects.
        let (_, renewedCertificate, renewedKey) = try await issue(devices["pump-7"]!, as: "pump-7-renewed")
        let superseded = try await publish(id: "pump-7", certificate: certificate, key: key)
        #expect(superseded.status != 0 && superseded.stderr.contains("not authori"), "\(superseded.stderr)")
        let current = try await publish(id: "pump-7", certificate: renewedCertificate, key: renewedKey)
        #expect(current.status == 0, "\(current.stderr)")
        let refusals = try await api.get("/events?kind=device.auth_refused", as: PageEnvelope<Event>.self).data
        #expect(refusals.map(\.deviceID) == [devices["pump-7"]!.id])

        // Revoking the certificate closes the device's live connection and refuses it from then on.
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(certificates.caCertificate)
        tls.certificateChain = try NIOSSLCertificate.fromPEMFile(renewedCertificate).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: renewedKey, format: .pem))
        let live = MQTTClient(
            configuration: .init(host: "127.0.0.1", port: Int(port)!, tls: tls, clientID: "pump-7")
        )
        try await live.connect()
        let revoked = try await api.post(
            "/devices/\(devices["pump-7"]!.id)/credentials/revoke",
            body: #"{"kind":"certificate"}"#,
            as: ResourceEnvelope<Device>.self
        ).data
        #expect(revoked.credentialKinds.isEmpty)
        let deadline = ContinuousClock.now + hangDeadline
        while await live.isConnected, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!(await live.isConnected), "the revoked device's connection stayed open")
        await live.shutdown()
        #expect(try await publish(id: "pump-7", certificate: renewedCertificate, key: renewedKey).status != 0)
        #expect(
            try await api.get("/events?kind=device.credentials_revoked", as: PageEnvelope<Event>.self).data
                .map(\.outcome) == ["certificate"]
        )

        // A deleted device's certificate stays refused when its name is registered again.
        let valve = devices["valve-1"]!.id
        let (_, valveCertificate, valveKey) = try await issue(devices["valve-1"]!, as: "valve-1")
        #expect(try await publish(id: "valve-1", certificate: valveCertificate, key: valveKey).status == 0)
        #expect(try await api.request("DELETE", "/devices/\(valve)").0 == 204)
        _ = try await api.post("/devices", body: #"{"name":"valve-1"}"#, as: ResourceEnvelope<Device>.self)
        #expect(try await publish(id: "valve-1", certificate: valveCertificate, key: valveKey).status != 0)
        await server.stop()
    }
}

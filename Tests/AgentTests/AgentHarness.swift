import EdgeSyncModels
import Foundation
import GRDB
import Logging
import MQTT
import TestSupport
import Testing

@testable import Agent
@testable import Server

/// An application database, a running governance server (dev-open) and the agent between them.
final class AgentHarness: @unchecked Sendable {
    let directory: URL
    var app: DatabasePool
    var server: GovernanceServer
    let mqttPort: Int
    let httpPort: Int
    /// The server's store, kept across its restarts.
    let storeLocation: StoreLocation?
    var configuration: AgentConfiguration

    var appPath: String { directory.appendingPathComponent("app.db").path }
    var store: SQLGovernanceStore { server.store as! SQLGovernanceStore }
    var projectID: String { server.tenancy.project.id }

    static let schema = """
        CREATE TABLE device_state (id INTEGER PRIMARY KEY, mode TEXT, level REAL, raw BLOB);
        CREATE TABLE sensor_timeseries (ts TEXT NOT NULL, value REAL, unit TEXT);
        """

    init(snapshot: Bool = false, createSchema: Bool = true) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("edgesync-agent-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        app = try AppDatabase.open(directory.appendingPathComponent("app.db").path)
        if createSchema { try await app.write { try $0.execute(sql: Self.schema) } }
        storeLocation = try await TestStore.url().map { try StoreLocation(parsing: $0) }
        (mqttPort, httpPort) = (try await freeTestPort(), try await freeTestPort())
        server = try await Self.startServer(directory: directory, store: storeLocation, mqtt: mqttPort, http: httpPort)
        configuration = AgentConfiguration()
        configuration.serverURL = "mqtt://127.0.0.1:\(mqttPort)"
        configuration.deviceID = "pump-7"
        configuration.sourceDatabasePath = directory.appendingPathComponent("app.db").path
        configuration.flushInterval = .milliseconds(100)
        configuration.snapshotOnFirstRun = snapshot
        configuration.tableStrategies = ["sensor_timeseries": .telemetry(tsColumn: "ts", includeColumns: nil)]
    }

    static func startServer(
        directory: URL,
        store: StoreLocation?,
        mqtt: Int,
        http: Int
    ) async throws -> GovernanceServer {
        var settings = ServerConfiguration(
            dataDirectory: directory.appendingPathComponent("server").path,
            httpPort: http,
            mqttPort: mqtt,
            devOpen: true,
            store: store
        )
        settings.maintenanceInterval = .milliseconds(100)
        settings.controlResendInterval = .seconds(1)
        let server = try await GovernanceServer.open(settings)
        do {
            try await server.start()
        } catch {
            await server.stop()
            throw error
        }
        return server
    }

    /// Whether the server runs (it is stopped to play an outage).
    private(set) var serverRunning = true

    func stopServer() async {
        await server.stop()
        serverRunning = false
    }

    func restartServer() async throws {
        server = try await Self.startServer(directory: directory, store: storeLocation, mqtt: mqttPort, http: httpPort)
        serverRunning = true
    }

    /// Starts the agent in this process, its triggers installed before this returns.
    func startAgent(logger: Logger = .quiet) async throws -> (EdgeAgent, Task<Void, any Error>) {
        let agent = try EdgeAgent(configuration: configuration, logger: logger)
        try await agent.prepare()
        return (agent, Task { try await agent.run() })
    }

    func lineage(_ table: String) async throws -> Lineage? {
        var filter = LineageFilter()
        filter.sourceTable = table
        return try await store.lineages(projectID: projectID, filter: filter, page: PageRequest()).items.first
    }

    /// Approves the open review of `table` with every column mirrored.
    func approve(_ table: String, syncAuthority: SyncAuthority? = nil) async throws {
        let lineage = try #require(
            try await waitFor { try await self.lineage(table)?.status == .paused ? try await self.lineage(table) : nil }
        )
        let detail = try #require(try await store.lineageDetail(id: lineage.id, projectID: projectID))
        let reviewID = try #require(detail.openReviewID)
        let review = try #require(try await store.reviewDetail(id: reviewID, projectID: projectID))
        let actions = try #require(review.columns).map { ColumnAction(sourceColumnName: $0.name, action: .mirror) }
        _ = try await store.transitionReview(
            id: reviewID,
            projectID: projectID,
            registry: false,
            principal: Principal(tokenID: "t", name: "test", scopes: [.admin]),
            .approve(
                ApproveReviewRequest(
                    actionVersion: review.review.actionVersion,
                    columnActions: actions,
                    syncAuthority: syncAuthority,
                    force: true
                )
            ),
            now: .now
        )
    }

    /// Polls until `probe` returns a value (15 s by default).
    func waitFor<T>(timeout: Duration = hangDeadline, _ probe: () async throws -> T?) async throws -> T? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let value = try await probe() { return value }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    static let stateColumns = ["id", "mode", "level", "raw"]

    /// A source table's rows as the mirror should show them, ordered by the first column.
    func sourceRows(_ table: String = "device_state", columns: [String] = stateColumns) async throws -> [[JSONValue]] {
        try await app.read { db in
            let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
            return try Row.fetchAll(db, sql: "SELECT \(list) FROM \"\(table)\" ORDER BY 1").map { row in
                (0..<columns.count).map { Self.jsonValue(row[$0]) }
            }
        }
    }

    static func jsonValue(_ value: DatabaseValue) -> JSONValue {
        switch value.storage {
        case .null: .null
        case .int64(let number): .integer(number)
        case .double(let number): .double(number)
        case .string(let text): .string(text)
        case .blob(let data): .object(["$hex": .string(Hex.encode(data, uppercase: true))])
        }
    }

    /// The mirror of a table's lineage, in its key order.
    func mirrorRows(_ table: String = "device_state", columns: [String] = stateColumns) async throws -> [[JSONValue]] {
        guard let lineage = try await lineage(table) else { return [] }
        var rows: [[JSONValue]] = []
        var page = 1
        while true {
            let items = try await store.mirrorRows(
                lineageID: lineage.id,
                page: PageRequest(page: page, limit: 500),
                order: nil,
                query: nil
            ).items
            rows += items.map { item in columns.map { item[$0] ?? .null } }
            if items.count < 500 { return rows }
            page += 1
        }
    }

    /// Waits until the mirror equals the source table.
    func waitForConvergence(
        _ table: String = "device_state",
        columns: [String] = stateColumns,
        timeout: Duration = hangDeadline
    ) async throws -> Bool {
        let converged =
            try await waitFor(timeout: timeout) {
                let (source, mirror) = (
                    try await self.sourceRows(table, columns: columns),
                    try await self.mirrorRows(table, columns: columns)
                )
                return source == mirror ? true : nil
            } ?? false
        if !converged { print(try await convergenceReport(table, columns: columns)) }
        return converged
    }

    /// What differs between a table and its mirror, and the state of its lineage: printed when a test
    /// waited in vain, so that a failure in CI says where the rows stopped.
    func convergenceReport(_ table: String, columns: [String]) async throws -> String {
        let (source, mirror) = (
            try await sourceRows(table, columns: columns), try await mirrorRows(table, columns: columns)
        )
        let (sourceKeys, mirrorKeys) = (Set(source.map { $0[0] }), Set(mirror.map { $0[0] }))
        let mirrored = Dictionary(mirror.map { ($0[0], $0) }, uniquingKeysWith: { first, _ in first })
        let changed = source.filter { row in mirrored[row[0]].map { $0 != row } ?? false }
        var lines = [
            "\(table): \(source.count) source rows, \(mirror.count) in the mirror",
            "  only in the source: \(source.map { $0[0] }.filter { !mirrorKeys.contains($0) }.prefix(10))",
            "  only in the mirror: \(mirror.map { $0[0] }.filter { !sourceKeys.contains($0) }.prefix(10))",
            "  different: \(changed.prefix(5).map { "\($0) mirror \(mirrored[$0[0]] ?? [])" })",
        ]
        if let lineage = try await lineage(table) {
            lines.append(
                "  lineage \(lineage.status) \(lineage.pauseReason.map { "\($0)" } ?? "") staged \(lineage.stagedRowCount)"
                    + " mirrored \(lineage.mirroredRowCount) last commit_seq \(lineage.lastCommitSeq ?? -1)"
                    + " failures \(lineage.materializationFailureCount) \(lineage.lastMaterializationError ?? "")"
            )
        }
        return lines.joined(separator: "\n")
    }

    /// The end of a test that got this far: its files go too (a failed one keeps them to look at).
    func stop() async {
        await server.stop()
        try? FileManager.default.removeItem(at: directory)
    }
}

extension Logger {
    /// The agent's log in tests that do not read it.
    static let quiet = Logger(label: "edge-agent-test") { _ in SwiftLogNoOpLogHandler() }
}

import EdgeSyncModels
import Logging
import MQTT
import NIOCore
import NIOSSL
import Synchronization

/// The agent (docs/spec/agent.md): capture into per-table journals, publish batches at least once and
/// in order per table, act on the server's controls, and follow the application's database
/// through its own DDL, a replaced file and a full disk. One batch per table is in flight at a
/// time; tables publish concurrently, so one table's trouble never blocks another.
public actor EdgeAgent {
    public let configuration: AgentConfiguration
    let sourcePath: String
    var source: SQLiteQueue
    /// The file `source` has open; the path is followed, not the open file.
    var sourceFile: FileIdentity
    let state: AgentStateStore
    public let client: MQTTClient
    let root: String
    /// One line per event (`AgentLogHandler` in the executable); `event` names it.
    let logger: Logger
    /// The tables seen on the last poll, and the captured ones.
    var tables: [String: SourceTable] = [:]
    var captured: [String: CapturedTable] = [:]
    var schemaVersion: Int64?
    var wakeRequested = false
    /// Rows (and samples) acknowledged by the server since start.
    public internal(set) var publishedRows = 0
    /// Average bytes of a row of each table in its last batch, for backlog estimates.
    var rowBytes: [String: Int] = [:]
    /// When each table's acknowledged journal entries were last deleted.
    var lastForget: [String: ContinuousClock.Instant] = [:]
    /// Tables with a row too large for any MQTT batch: their backlog goes by upload.
    var uploadOnly: Set<String> = []
    /// Rows in each table's upload object written by this run, counted once it is finalized.
    var uploadRows: [String: Int] = [:]
    var lastRetentionCheck: ContinuousClock.Instant?
    /// The database went missing: said once, not on every poll.
    var reportedMissing = false
    /// The table publishers running now, one at most per table.
    var publishers: [String: Task<Void, Never>] = [:]
    /// systemd's readiness and watchdog notifications (nothing outside systemd).
    var notifier = ServiceNotifier.fromEnvironment()
    let startedAt = Timestamp.now
    /// The payload encodings this connection's server accepts (its `server_hello`); none until it
    /// says, and none again once the connection ends.
    var contentEncodings: Set<ContentEncoding> = []
    /// Repeated warnings and errors, logged once a minute with their count.
    nonisolated let repeats = Mutex(RepeatLimiter())
    /// When the metrics were last computed.
    var lastMetrics: ContinuousClock.Instant?
    /// `metrics.listen`'s endpoint while `run` runs.
    var metricsServer: AgentMetricsServer?
    /// The last journal mark written for each table (`markJournals`).
    var journalMarks: [String: (epoch: String, seq: Int64, at: ContinuousClock.Instant)] = [:]

    public init(configuration: AgentConfiguration, logger: Logger = Logger(label: "edge-agent")) throws {
        if let problem = configuration.problemsForRun.first {
            let key = String(problem.prefix { $0 != " " && $0 != ":" })
            throw AgentConfigurationError(key: key, message: problem)
        }
        guard let path = configuration.sourceDatabasePath, let statePath = configuration.resolvedStatePath,
            let serverURL = configuration.serverURL, let deviceID = configuration.deviceID,
            let rootTopic = configuration.resolvedRootTopic,
            let (host, port, useTLS) = MQTTClientConfiguration.parseServerURL(serverURL)
        else { throw AgentConfigurationError(key: "configuration", message: "incomplete") }
        self.configuration = configuration
        self.logger = logger
        sourcePath = path
        (source, sourceFile) = try Self.openSource(path)
        state = try AgentStateStore(path: statePath)
        root = rootTopic
        client = MQTTClient(
            configuration: MQTTClientConfiguration(
                host: host,
                port: port,
                tls: useTLS ? try configuration.tlsConfiguration() : nil,
                clientID: deviceID,
                // The username is the device name when a password is configured (mTLS and dev-open need none).
                username: configuration.username ?? (configuration.password == nil ? nil : deviceID),
                password: configuration.password.map { Array($0.utf8) },
                cleanSession: configuration.cleanSession,
                keepAlive: UInt16(clamping: configuration.keepAlive.components.seconds)
            )
        )
    }

    /// Opens the application's database, which must exist: an agent never creates one. WAL lets
    /// the application keep writing while the agent reads; the busy timeout makes the agent's
    /// short writes wait for the application's instead of failing.
    static func openSource(_ path: String) throws -> (SQLiteQueue, FileIdentity) {
        guard let file = FileIdentity(path: path) else {
            throw AgentConfigurationError(
                key: "source_db_path",
                message: "\(path) does not exist (the agent never creates it)"
            )
        }
        let connection = try SQLiteDatabase(path: path, mode: .readWrite)
        try connection.execute("PRAGMA journal_mode = WAL; PRAGMA journal_size_limit = 4194304")
        return (SQLiteQueue(connection, label: "source"), file)
    }

    static func newEpoch() -> String { UUIDv7Generator.shared.next().description }

    /// Brings capture in line with the database before publishing: upgrades an older agent's
    /// capture, or checks that the database is the one captured last, then installs what the
    /// tables need; forgets journal entries the server already acknowledged.
    public func prepare() async throws {
        let configuration = self.configuration
        let (catalogID, legacy) = try await source.run { db in
            (try CaptureCatalog.databaseID(db), try LegacyJournal.isPresent(db))
        }
        let databaseID: String
        if legacy {
            let cursors = try await state.legacyTelemetryCursors()
            let upgraded = try await source.write { db -> [CapturedTable] in
                let discovered = try TableDiscovery.discover(db, configuration: configuration)
                let installed = try LegacyJournal.upgrade(
                    db,
                    discovered: discovered,
                    telemetryCursors: cursors,
                    newEpoch: Self.newEpoch
                )
                try CaptureCatalog.setDatabaseID(db, Self.newEpoch())
                return installed
            }
            try await state.adoptEpochs(
                Dictionary(upgraded.map { ($0.name, $0.epoch) }, uniquingKeysWith: { a, _ in a })
            )
            try await report(
                nil,
                "capture_upgraded",
                "upgraded the capture of \(upgraded.count) tables to per-table journals"
            )
            databaseID = try await source.run { try CaptureCatalog.databaseID($0) } ?? ""
        } else {
            switch DatabaseIdentity.compare(
                catalogID: catalogID,
                file: sourceFile,
                recorded: try await state.capturedDatabase()
            ) {
            case .firstRun:
                databaseID = Self.newEpoch()
                try await source.write {
                    try CaptureCatalog.create($0)
                    try CaptureCatalog.setDatabaseID($0, databaseID)
                }
                try await reconcile(snapshotNewTables: configuration.snapshotOnFirstRun)
            case .same:
                databaseID = catalogID ?? ""
            case .replaced(let reason):
                databaseID = try await renewAll(reason)
            }
        }
        try await state.recordCapturedDatabase(id: databaseID, file: sourceFile)
        try await reconcile(snapshotNewTables: true)
        for table in captured.values {
            let progress = try await state.progress(table.name)
            try await forgetJournal(table, through: progress.cursor(in: table.epoch))
        }
    }

    /// Starts every table afresh under new epochs with snapshots (another database under the
    /// path, or a state that does not know this one); returns the database's new id.
    func renewAll(_ reason: String) async throws -> String {
        let configuration = self.configuration
        let id = Self.newEpoch()
        let renewed = try await source.write { db -> [CapturedTable] in
            let discovered = try TableDiscovery.discover(db, configuration: configuration)
            let tables = try CaptureMaintenance.renewAll(db, discovered: discovered, newEpoch: Self.newEpoch)
            try CaptureCatalog.setDatabaseID(db, id)
            return tables
        }
        try await state.forgetInFlight()
        captured = Dictionary(renewed.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        schemaVersion = nil
        try await report(
            nil,
            "epoch_renewed",
            level: .warning,
            "\(reason): every table starts a new journal epoch with a snapshot"
        )
        return id
    }

    /// Runs until the task is cancelled (SIGTERM/SIGINT in the executable): keeps the MQTT
    /// session up, flushes every `flush_interval` or as soon as a batch's worth is pending,
    /// handles controls.
    public func run() async throws {
        try await prepare()
        let connection = Task { await client.run() }
        let controls = Task { await receiveControls() }
        let connectionLog = Task { [client, state, server = configuration.serverURL ?? "the server"] in
            var lines = ConnectionLog(server: server)
            for await event in client.connectionEvents {
                if event != .connected(sessionPresent: true), event != .connected(sessionPresent: false) {
                    self.forgetContentEncodings()
                }
                try? await state.recordConnection(ConnectionLog.state(after: event), at: .now)
                for line in lines.lines(for: event) {
                    self.log(line.level, line.event, line.message, fields: ["server": "\(server)"])
                }
            }
        }
        defer {
            connection.cancel()
            controls.cancel()
            connectionLog.cancel()
        }
        await startMetricsServer()
        var lastFlush = ContinuousClock.now - configuration.flushInterval
        // Ready once the capture is installed and the journals are open: the application's
        // writes are captured from here on, whether the server is reachable or not.
        notifier.ready(status: "capturing \(captured.count) tables")
        defer { notifier.stopping() }
        while !Task.isCancelled {
            notifier.keepAlive()
            var due = wakeRequested || ContinuousClock.now - lastFlush >= configuration.flushInterval
            if !due { due = (try? await pendingBatchReady()) == true }
            if due {
                wakeRequested = false
                lastFlush = ContinuousClock.now
                await flush()
            }
            writeMetricsIfDue()
            try? await Task.sleep(for: .milliseconds(100))
        }
        for publisher in publishers.values { publisher.cancel() }
        await metricsServer?.stop()
        metricsServer = nil
        await client.shutdown()
        try? await state.recordConnection("stopped", at: .now)
    }

    func forgetContentEncodings() {
        contentEncodings = []
    }

    /// Subscribes to the control topic once connected (the client restores it afterwards) and
    /// handles each control.
    func receiveControls() async {
        while !Task.isCancelled {
            if await client.waitUntilConnected(timeout: .seconds(1)),
                (try? await client.subscribe([
                    .init(topicFilter: root + "/" + TopicLayout.controlSuffix, qos: .atLeastOnce)
                ])) != nil
            {
                break
            }
        }
        for await message in client.messages {
            await handle(message)
        }
    }

    /// One flush: follow the database (file, DDL, disk), then start a publisher for every
    /// captured table that has none running. A publisher waits for its PUBACKs on its own (a
    /// server that is away holds it, not the polls, which go on bounding the journals).
    func flush() async {
        do {
            guard try await poll() else { return }
        } catch {
            log(.error, "poll_failed", "poll failed: \(error)")
            return
        }
        for name in captured.keys.sorted() where tables[name]?.isCaptured == true && publishers[name] == nil {
            publishers[name] = Task {
                await self.publish(table: name)
                self.publishers[name] = nil
            }
        }
    }

    /// Follows the path (a replaced file is reopened and renewed), the DDL (`PRAGMA
    /// schema_version`), and the journals' bounds. False when there is no database to publish.
    func poll() async throws -> Bool {
        guard let file = FileIdentity(path: sourcePath) else {
            if !reportedMissing {
                log(.warning, "database_missing", "\(sourcePath) is missing; waiting for it to come back")
            }
            reportedMissing = true
            return false
        }
        reportedMissing = false
        if file != sourceFile {
            (source, sourceFile) = try Self.openSource(sourcePath)
            let id = try await renewAll("the database file was replaced (\(file))")
            try await state.recordCapturedDatabase(id: id, file: file)
        }
        let version = try await source.run { try $0.scalar("PRAGMA schema_version")?.integer }
        if version != schemaVersion { try await reconcile(snapshotNewTables: true) }
        try await sweepInserts()
        try await enforceBounds()
        try await markJournals()
        return true
    }

    /// Re-discovers the tables and fixes capture where the DDL changed it; publishes a schema
    /// observation for every table whose fingerprint changed.
    func reconcile(snapshotNewTables: Bool) async throws {
        let configuration = self.configuration
        let (discovered, result, version) = try await source.write { db in
            let discovered = try TableDiscovery.discover(db, configuration: configuration)
            let result = try CaptureMaintenance.reconcile(
                db,
                discovered: discovered,
                snapshotNewTables: snapshotNewTables,
                newEpoch: Self.newEpoch
            )
            return (discovered, result, try db.scalar("PRAGMA schema_version")?.integer)
        }
        for change in result.changes {
            try await report(change.table, "capture_changed", change.message)
        }
        for table in discovered {
            for problem in table.problems where tables[table.name]?.problems.contains(problem) != true {
                log(.warning, "table_problem", problem, table: table.name)
            }
            if let known = tables[table.name], known.fingerprint != table.fingerprint { observe(table.fingerprint) }
        }
        tables = Dictionary(discovered.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        captured = Dictionary(result.tables.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        schemaVersion = version
    }

    /// Adopts a table's fingerprint seen while reading it, and says so to the server.
    func adopt(_ fingerprint: SchemaFingerprint) {
        guard var table = tables[fingerprint.tableName], table.fingerprint != fingerprint else { return }
        table.fingerprint = fingerprint
        tables[table.name] = table
        observe(fingerprint)
    }

    /// An advisory `sync/schema/observe` with the new columns; `schema_columns` go on the next
    /// batch as well (the sent hash differs).
    func observe(_ fingerprint: SchemaFingerprint) {
        log(
            .notice,
            "schema_changed",
            "schema changed (\(fingerprint.schemaHash.prefix(12)))",
            table: fingerprint.tableName
        )
        let observation = SchemaObservation(
            sourceTable: fingerprint.tableName,
            schemaHash: fingerprint.schemaHash,
            observedAt: .now,
            schemaColumns: fingerprint
        )
        let body = CanonicalJSON.bytes(of: observation.jsonValue)
        let client = self.client
        let topic = root + "/" + UplinkTopic.schemaObservation.rawValue
        Task { try? await client.publish(topic: topic, payload: ByteBuffer(bytes: body)) }
    }

    /// Logs an event and keeps it as the table's (or the agent's) last message for `status`.
    func report(_ table: String?, _ event: String, level: Logger.Level = .notice, _ message: String) async throws {
        log(level, event, message, table: table)
        try await state.report(table: table, message)
    }

    /// One log line: the event's name, the table it concerns, other fields, and the message. A
    /// warning or error identical to one logged less than a minute ago is counted instead, and the
    /// next one let through says how many there were (`repeated=N`).
    nonisolated func log(
        _ level: Logger.Level,
        _ event: String,
        _ message: String,
        table: String? = nil,
        fields: Logger.Metadata = [:]
    ) {
        var metadata = fields
        if level >= .warning {
            let key = "\(event) \(table ?? "") \(message)"
            guard let suppressed = repeats.withLock({ $0.admit(key, at: .now) }) else { return }
            if suppressed > 0 { metadata["repeated"] = "\(suppressed)" }
        }
        metadata["event"] = "\(event)"
        if let table { metadata["table"] = "\(table)" }
        logger.log(level: level, "\(table.map { "\($0): " } ?? "")\(message)", metadata: metadata)
    }

    func recordError(_ table: String, _ message: String) async throws {
        try await state.update(table) { $0.lastError = message }
    }

    func wake() {
        wakeRequested = true
    }
}

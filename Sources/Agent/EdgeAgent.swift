import EdgeSyncModels
import Foundation
import GRDB
import MQTT
import NIOCore
import NIOSSL

/// The agent (docs/spec/agent.md): capture into the journal, publish batches at least once and in order
/// per table, act on the server's controls. One batch per table is in flight at a time; tables
/// publish concurrently, so one table's trouble never blocks another.
public actor EdgeAgent {
    public let configuration: AgentConfiguration
    let source: DatabasePool
    let state: AgentStateStore
    public let client: MQTTClient
    let root: String
    let log: @Sendable (String) -> Void
    var tables: [String: SourceTable] = [:]
    var wakeRequested = false
    var lastSeenSeq: Int64 = 0
    /// Rows (and samples) acknowledged by the server since start.
    public internal(set) var publishedRows = 0
    /// When each table's journal backlog was last summed, and its bytes then (see `spillIfLarge`).
    var backlogChecks: [String: (at: ContinuousClock.Instant, bytes: Int64)] = [:]

    public init(configuration: AgentConfiguration, log: @escaping @Sendable (String) -> Void = { print($0) }) throws {
        if let problem = configuration.problemsForRun.first {
            let key = String(problem.prefix { $0 != " " && $0 != ":" })
            throw AgentConfigurationError(key: key, message: problem)
        }
        self.configuration = configuration
        self.log = log
        source = try Self.openSource(configuration.sourceDatabasePath!)
        state = try AgentStateStore(path: configuration.resolvedStatePath!)
        root = configuration.resolvedRootTopic!
        let (host, port, useTLS) = MQTTClientConfiguration.parseServerURL(configuration.serverURL!)!
        var tls: TLSConfiguration?
        if useTLS {
            var settings = TLSConfiguration.makeClientConfiguration()
            if let ca = configuration.caCertificatePath { settings.trustRoots = .file(ca) }
            if let certificate = configuration.clientCertificatePath, let key = configuration.clientKeyPath {
                settings.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
                settings.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            }
            tls = settings
        }
        client = MQTTClient(
            configuration: MQTTClientConfiguration(
                host: host,
                port: port,
                tls: tls,
                clientID: configuration.deviceID!,
                // The username is the device name when a password is configured (mTLS and dev-open need none).
                username: configuration.username ?? (configuration.password == nil ? nil : configuration.deviceID),
                password: configuration.password.map { Array($0.utf8) },
                cleanSession: configuration.cleanSession,
                keepAlive: UInt16(clamping: configuration.keepAlive.components.seconds)
            )
        )
    }

    /// The application's database: WAL so it keeps writing while the agent reads, and a busy
    /// timeout so neither side fails on the other's short write locks.
    static func openSource(_ path: String) throws -> DatabasePool {
        var settings = Configuration()
        settings.busyMode = .timeout(10)
        return try DatabasePool(path: path, configuration: settings)
    }

    /// Discovers tables and installs capture (with the first-run snapshot) in one write
    /// transaction, then forgets journal rows the server already acknowledged.
    @discardableResult
    public func prepare() throws -> [SourceTable] {
        let snapshot = configuration.snapshotOnFirstRun
        let discovered = try source.write { db -> [SourceTable] in
            try CaptureSchema.createJournal(db)
            let tables = try CaptureSchema.discover(db, configuration: self.configuration)
            for table in tables where table.problems.isEmpty && table.strategy == .rows {
                try Self.ensureCapture(db, table, snapshotIfNew: snapshot)
            }
            return tables
        }
        for table in discovered {
            for problem in table.problems { log("\(table.name): \(problem)") }
            tables[table.name] = table
            if table.strategy == .rows, table.problems.isEmpty {
                let acked = try state.progress(table.name).lastAckedSeq
                try forgetJournal(table: table.name, through: acked)
            }
        }
        return discovered
    }

    /// Installs or refreshes a table's triggers when they are missing or its schema changed.
    static func ensureCapture(_ db: Database, _ table: SourceTable, snapshotIfNew: Bool) throws {
        let known = try String.fetchOne(
            db,
            sql: "SELECT schema_hash FROM \"\(CaptureSchema.meta)\" WHERE table_name = ?",
            arguments: [table.name]
        )
        let installed =
            try Int.fetchOne(
                db,
                sql:
                    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? AND name LIKE '\\_\\_edgesync\\_%' ESCAPE '\\'",
                arguments: [table.name]
            ) ?? 0
        guard known != table.fingerprint.schemaHash || installed != 4 else { return }
        try CaptureSchema.installTriggers(db, table)
        if known == nil {
            try db.execute(
                sql: "INSERT INTO \"\(CaptureSchema.meta)\" VALUES (?, ?, ?)",
                arguments: [table.name, UUIDv7Generator.shared.next().description, table.fingerprint.schemaHash]
            )
            if snapshotIfNew { try CaptureSchema.snapshot(db, table) }
        } else {
            try db.execute(
                sql: "UPDATE \"\(CaptureSchema.meta)\" SET schema_hash = ? WHERE table_name = ?",
                arguments: [table.fingerprint.schemaHash, table.name]
            )
        }
    }

    /// Runs until the task is cancelled (SIGTERM/SIGINT in the executable): keeps the MQTT
    /// session up, flushes every `flush_interval` or at 512 KiB pending, handles controls.
    public func run() async throws {
        try prepare()
        let connection = Task { await client.run() }
        let controls = Task { await receiveControls() }
        defer {
            connection.cancel()
            controls.cancel()
        }
        var lastFlush = ContinuousClock.now - configuration.flushInterval
        while !Task.isCancelled {
            let pending = (try? pendingBytesSinceLastLook()) ?? 0
            if ContinuousClock.now - lastFlush >= configuration.flushInterval || wakeRequested
                || pending >= BatchBuilder.maximumBytes
            {
                wakeRequested = false
                lastFlush = ContinuousClock.now
                await flush()
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        await client.shutdown()
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

    /// Bytes journaled since the last look (only new rows are read).
    func pendingBytesSinceLastLook() throws -> Int {
        let (bytes, highest) = try source.read { db -> (Int, Int64) in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT COALESCE(SUM(length(pk) + COALESCE(length(row), 0)), 0) AS bytes, MAX(commit_seq) AS highest
                    FROM "\(CaptureSchema.journal)" WHERE commit_seq > ?
                    """,
                arguments: [lastSeenSeq]
            )!
            return (row["bytes"], row["highest"] ?? 0)
        }
        guard highest > 0 else { return 0 }
        if bytes >= BatchBuilder.maximumBytes { lastSeenSeq = highest }
        return bytes
    }

    /// One flush: notice schema drift, enforce retention on paused tables, publish every
    /// table's pending rows (tables concurrently).
    public func flush() async {
        do { try detectDrift() } catch { log("schema check failed: \(error)") }
        let names = tables.values.filter { $0.problems.isEmpty && $0.strategy != .ignore }.map(\.name).sorted()
        await withTaskGroup(of: Void.self) { group in
            for name in names {
                group.addTask { await self.publish(table: name) }
            }
        }
    }

    func publish(table name: String) async {
        do {
            while !Task.isCancelled, let table = tables[name] {
                var progress = try state.progress(name)
                if progress.paused {
                    try enforceRetention(table, &progress)
                    return
                }
                if progress.needsResnapshot { try resnapshot(table, &progress) }
                if case .rows = table.strategy, try state.outbound(name) == nil, try await spillIfLarge(table, progress)
                {
                    if try state.spill(name) != nil { return }
                    continue
                }
                guard let batch = try state.outbound(name) ?? nextBatch(table, progress) else { return }
                try await client.publish(
                    topic: root + "/" + batch.topic.rawValue,
                    payload: ByteBuffer(bytes: batch.body)
                )
                _ = try state.complete(batch)
                if let last = batch.lastSeq {
                    try forgetJournal(table: name, through: last)
                }
                publishedRows += batch.rowCount
            }
        } catch {
            log("\(name): publish failed: \(error)")
            try? recordError(name, "\(error)")
        }
    }

    /// Builds and persists the next batch (persisted first: a crash resends the same bytes).
    func nextBatch(_ known: SourceTable, _ progress: TableProgress) throws -> OutboundBatch? {
        var table = known
        let batch: OutboundBatch?
        switch table.strategy {
        case .ignore:
            return nil
        case .telemetry(let ts, let include):
            // The rows are read with the known columns and labelled with their hash; a changed
            // shape seen in the same snapshot is adopted for the next batch.
            let includeColumns = progress.sentSchemaHash != table.fingerprint.schemaHash
            let shape: [TableInfoColumn]
            (batch, shape) = try source.read { db in
                (
                    try BatchBuilder.telemetryBatch(
                        db,
                        table: table,
                        tsColumn: ts,
                        include: include,
                        progress: progress,
                        includeColumns: includeColumns
                    ),
                    try CaptureSchema.tableInfo(db, table.name)
                )
            }
            if !shape.isEmpty, SchemaFingerprint(tableName: table.name, tableInfo: shape) != table.fingerprint {
                try detectDrift()
            }
        case .rows:
            // The journal rows and the table's shape come from one snapshot, so rows committed
            // after a schema change are never labelled with the schema before it.
            let (entries, epoch, shape) = try source.read { db in
                (
                    try BatchBuilder.pendingEntries(db, table: table.name, after: progress.lastAckedSeq),
                    try String.fetchOne(
                        db,
                        sql: "SELECT journal_epoch FROM \"\(CaptureSchema.meta)\" WHERE table_name = ?",
                        arguments: [table.name]
                    ),
                    try CaptureSchema.tableInfo(db, table.name)
                )
            }
            guard !entries.isEmpty, let epoch else { return nil }
            if !shape.isEmpty, SchemaFingerprint(tableName: table.name, tableInfo: shape) != table.fingerprint {
                try detectDrift()
                table = tables[table.name] ?? table
            }
            let includeColumns = progress.sentSchemaHash != table.fingerprint.schemaHash
            guard
                let built = BatchBuilder.rowBatch(
                    table: table.name,
                    epoch: epoch,
                    fingerprint: table.fingerprint,
                    includeColumns: includeColumns,
                    entries: entries,
                    lkcv: try state.cloudVersions(table: table.name)
                )
            else {
                try recordError(
                    table.name,
                    "journal row \(entries[0].seq) is larger than a 512 KiB batch; it waits for the upload flow"
                )
                return nil
            }
            batch = OutboundBatch(
                table: table.name,
                batchID: built.batchID,
                topic: .rowBatch,
                body: built.body,
                rowCount: built.count,
                lastSeq: entries[built.count - 1].seq,
                schemaHashSent: includeColumns ? table.fingerprint.schemaHash : nil
            )
        }
        if let batch { try state.saveOutbound(batch) }
        return batch
    }

    /// Deletes journal rows the server acknowledged (after the state recorded the cursor: a crash
    /// in between leaves rows the cursor already skips, removed at the next start).
    func forgetJournal(table: String, through seq: Int64) throws {
        try source.write { db in
            try db.execute(
                sql: "DELETE FROM \"\(CaptureSchema.journal)\" WHERE table_name = ? AND commit_seq <= ?",
                arguments: [table, seq]
            )
        }
    }

    func recordError(_ table: String, _ message: String) throws {
        var progress = try state.progress(table)
        progress.lastError = message
        try state.save(progress)
    }

    func wake() {
        wakeRequested = true
    }
}

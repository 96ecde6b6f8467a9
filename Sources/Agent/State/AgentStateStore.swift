import EdgeSyncModels

/// The agent's own SQLite file (`state_db_path`): progress per table, the outbound batches per
/// table, processed control ids, cloud versions for `lkcv`, uploads, the database it captures,
/// and reports of what it did on its own. Calls run on the file's own queue.
final class AgentStateStore: Sendable {
    let queue: SQLiteQueue

    init(path: String) throws {
        let connection = try SQLiteDatabase(path: path, mode: .readWriteCreate, busyTimeout: .seconds(5))
        // Debian's SQLite zeroes freed pages and writes them out again (secure_delete on): an
        // acknowledged batch's body, deleted, was written a second time. FAST zeroes deleted
        // content only where no page is written for it (a 450 KB body: 3 WAL frames, not 111).
        try connection.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA secure_delete = FAST")
        try StateMigrations.migrate(connection)
        queue = SQLiteQueue(connection, label: "state")
    }

    // MARK: Progress

    func progress(_ table: String) async throws -> TableProgress {
        try await queue.run { try Self.load($0, table) }
    }

    func save(_ progress: TableProgress) async throws {
        try await queue.run { try Self.save($0, progress) }
    }

    /// Changes one table's progress in one transaction.
    func update(_ table: String, _ change: @escaping @Sendable (inout TableProgress) -> Void) async throws {
        try await queue.write { db in
            var progress = try Self.load(db, table)
            change(&progress)
            try Self.save(db, progress)
        }
    }

    static func load(_ db: SQLiteDatabase, _ table: String) throws -> TableProgress {
        guard
            let row = try db.firstRow(
                """
                SELECT journal_epoch, last_acked_seq, batch_seq, ts_cursor, rowid_cursor, sent_schema_hash, paused,
                watermark, last_error FROM table_state WHERE name = ?
                """,
                [.text(table)]
            )
        else { return TableProgress(name: table) }
        var legacy: LegacyJournal.TelemetryCursor?
        if let ts = row[3].text, let rowid = row[4].integer { legacy = .init(ts: ts, rowid: rowid) }
        return TableProgress(
            name: table,
            epoch: row[0].text,
            lastAckedSeq: row[1].integer ?? 0,
            batchSeq: row[2].integer ?? 0,
            legacyTelemetryCursor: legacy,
            sentSchemaHash: row[5].text,
            paused: row[6].integer == 1,
            watermark: row[7].integer,
            lastError: row[8].text
        )
    }

    static func save(_ db: SQLiteDatabase, _ p: TableProgress) throws {
        try db.run(
            """
            INSERT INTO table_state (name, journal_epoch, last_acked_seq, batch_seq, ts_cursor, rowid_cursor,
            sent_schema_hash, paused, watermark, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT DO UPDATE SET journal_epoch = excluded.journal_epoch, last_acked_seq = excluded.last_acked_seq,
            batch_seq = excluded.batch_seq, ts_cursor = excluded.ts_cursor, rowid_cursor = excluded.rowid_cursor,
            sent_schema_hash = excluded.sent_schema_hash, paused = excluded.paused, watermark = excluded.watermark,
            last_error = excluded.last_error
            """,
            [
                .text(p.name), SQLiteValue(p.epoch), .integer(p.lastAckedSeq), .integer(p.batchSeq),
                SQLiteValue(p.legacyTelemetryCursor?.ts), SQLiteValue(p.legacyTelemetryCursor?.rowid),
                SQLiteValue(p.sentSchemaHash), SQLiteValue(p.paused), SQLiteValue(p.watermark),
                SQLiteValue(p.lastError),
            ]
        )
    }

    /// Every table the state knows, with its progress.
    func allProgress() async throws -> [TableProgress] {
        try await queue.run { db in
            try db.rows("SELECT name FROM table_state ORDER BY name").compactMap { $0[0].text }.map {
                try Self.load(db, $0)
            }
        }
    }

    // MARK: An older agent's state

    /// Where an older agent's telemetry cursors stood, counting a persisted outbound batch as
    /// sent (it still goes out with its own bytes).
    func legacyTelemetryCursors() async throws -> [String: LegacyJournal.TelemetryCursor] {
        try await queue.run { db in
            var cursors: [String: LegacyJournal.TelemetryCursor] = [:]
            for row in try db.rows(
                """
                SELECT s.name, COALESCE(o.ts_end, s.ts_cursor), COALESCE(o.rowid_end, s.rowid_cursor)
                FROM table_state s LEFT JOIN outbound o ON o.table_name = s.name AND o.ts_end IS NOT NULL
                WHERE s.journal_epoch IS NULL AND COALESCE(o.ts_end, s.ts_cursor) IS NOT NULL
                """
            ) {
                if let name = row[0].text, let ts = row[1].text, let rowid = row[2].integer {
                    cursors[name] = .init(ts: ts, rowid: rowid)
                }
            }
            return cursors
        }
    }

    /// After the upgrade of an older agent's capture: its cursors and outbound batches (kept
    /// without an epoch) belong to the epochs the upgrade gave each table.
    func adoptEpochs(_ epochs: [String: String]) async throws {
        try await queue.write { db in
            for (table, epoch) in epochs {
                try db.run(
                    "UPDATE table_state SET journal_epoch = ?, ts_cursor = NULL, rowid_cursor = NULL WHERE name = ? AND journal_epoch IS NULL",
                    [.text(epoch), .text(table)]
                )
                try db.run(
                    "UPDATE outbound SET journal_epoch = ?, last_seq = COALESCE(last_seq, 0) WHERE table_name = ? AND journal_epoch IS NULL",
                    [.text(epoch), .text(table)]
                )
            }
        }
    }

    // MARK: Outbound batches

    /// The oldest of a table's batches persisted and not yet done, leaving out `excluding` (those
    /// on their way).
    func outbound(_ table: String, excluding: [String] = []) async throws -> OutboundBatch? {
        let others =
            excluding.isEmpty ? "" : " AND batch_id NOT IN (\(excluding.map { _ in "?" }.joined(separator: ", ")))"
        return try await outbound(
            "table_name = ?\(others) ORDER BY last_seq, rowid LIMIT 1",
            [.text(table)] + excluding.map { .text($0) },
            table: table
        )
    }

    /// A table's batch persisted and not yet done, by id.
    func outbound(_ table: String, batchID: String) async throws -> OutboundBatch? {
        try await outbound("table_name = ? AND batch_id = ?", [.text(table), .text(batchID)], table: table)
    }

    /// Whether a batch of a journal epoch other than `epoch` is persisted for the table.
    func holdsOutbound(_ table: String, besides epoch: String) async throws -> Bool {
        try await queue.run { db in
            try db.scalar(
                "SELECT 1 FROM outbound WHERE table_name = ? AND journal_epoch IS NOT ? LIMIT 1",
                [.text(table), .text(epoch)]
            ) != nil
        }
    }

    private func outbound(_ condition: String, _ arguments: [SQLiteValue], table: String) async throws -> OutboundBatch?
    {
        try await queue.run { db in
            try db.firstRow(
                """
                SELECT batch_id, topic, body, row_count, last_seq, batch_seq, schema_hash_sent, journal_epoch
                FROM outbound WHERE \(condition)
                """,
                arguments
            ).map { row in
                var body: [UInt8] = []
                if case .blob(let bytes) = row[2] { body = bytes }
                return OutboundBatch(
                    table: table,
                    epoch: row[7].text ?? "",
                    batchID: row[0].text ?? "",
                    topic: UplinkTopic(rawValue: row[1].text ?? "") ?? .rowBatch,
                    body: body,
                    rowCount: Int(row[3].integer ?? 0),
                    lastSeq: row[4].integer ?? 0,
                    batchSeq: row[5].integer,
                    schemaHashSent: row[6].text
                )
            }
        }
    }

    func saveOutbound(_ batch: OutboundBatch) async throws {
        try await queue.run { db in
            try db.run(
                """
                INSERT OR REPLACE INTO outbound (table_name, batch_id, topic, body, row_count, last_seq, batch_seq,
                schema_hash_sent, journal_epoch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(batch.table), .text(batch.batchID), .text(batch.topic.rawValue), .blob(batch.body),
                    .integer(Int64(batch.rowCount)), .integer(batch.lastSeq), SQLiteValue(batch.batchSeq),
                    SQLiteValue(batch.schemaHashSent), .text(batch.epoch),
                ]
            )
        }
    }

    /// The batch is done (acknowledged, or rejected and dropped): advance the cursor of its epoch
    /// and forget it, in one transaction.
    @discardableResult
    func complete(_ batch: OutboundBatch) async throws -> TableProgress {
        try await queue.write { db in
            var progress = try Self.load(db, batch.table)
            progress.complete(batch)
            try Self.save(db, progress)
            try db.run(
                "DELETE FROM outbound WHERE table_name = ? AND batch_id = ?",
                [.text(batch.table), .text(batch.batchID)]
            )
            return progress
        }
    }

    /// Entries consumed without a batch (their rows were gone): the cursor moves past them.
    func skip(_ table: String, epoch: String, through seq: Int64) async throws {
        try await update(table) { $0.advance(epoch: epoch, through: seq) }
    }

    func dropOutbound(_ table: String) async throws {
        try await queue.run { try $0.run("DELETE FROM outbound WHERE table_name = ?", [.text(table)]) }
    }

    // MARK: Controls and cloud versions

    /// Records a control id; false when it had been processed before.
    func markProcessed(_ controlID: String) async throws -> Bool {
        try await queue.run { db in
            try db.run(
                "INSERT OR IGNORE INTO processed_control VALUES (?, ?)",
                [.text(controlID), .integer(Timestamp.now.seconds)]
            ) == 1
        }
    }

    func isProcessed(_ controlID: String) async throws -> Bool {
        try await queue.run { try $0.scalar("SELECT 1 FROM processed_control WHERE id = ?", [.text(controlID)]) != nil }
    }

    func setCloudVersions(table: String, _ versions: [(pk: String, version: Int64)]) async throws {
        try await queue.write { db in
            for (pk, version) in versions {
                try db.run(
                    "INSERT OR REPLACE INTO cloud_version VALUES (?, ?, ?)",
                    [.text(table), .text(pk), .integer(version)]
                )
            }
        }
    }

    func cloudVersions(table: String) async throws -> [String: Int64] {
        try await queue.run { db in
            var versions: [String: Int64] = [:]
            for row in try db.rows("SELECT pk, version FROM cloud_version WHERE table_name = ?", [.text(table)]) {
                if let pk = row[0].text, let version = row[1].integer { versions[pk] = version }
            }
            return versions
        }
    }

    // MARK: Uploads

    func spill(_ table: String) async throws -> SpillUpload? {
        try await queue.run { db in
            try db.firstRow(
                """
                SELECT batch_id, url, segment_kind, expires_at, requested_at, last_seq, object_path, journal_epoch
                FROM upload_grant WHERE table_name = ?
                """,
                [.text(table)]
            ).map {
                SpillUpload(
                    table: table,
                    epoch: $0[7].text ?? "",
                    batchID: $0[0].text,
                    url: $0[1].text,
                    segmentKind: SegmentKind(rawValue: $0[2].text ?? "") ?? .payloadSpill,
                    expiresAt: $0[3].integer,
                    requestedAt: $0[4].integer ?? 0,
                    lastSeq: $0[5].integer,
                    objectPath: $0[6].text
                )
            }
        }
    }

    func saveSpill(_ spill: SpillUpload) async throws {
        try await queue.run { db in
            try db.run(
                """
                INSERT OR REPLACE INTO upload_grant (table_name, batch_id, url, segment_kind, expires_at, requested_at,
                last_seq, object_path, journal_epoch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(spill.table), SQLiteValue(spill.batchID), SQLiteValue(spill.url),
                    .text(spill.segmentKind.rawValue),
                    SQLiteValue(spill.expiresAt), .integer(spill.requestedAt), SQLiteValue(spill.lastSeq),
                    SQLiteValue(spill.objectPath), .text(spill.epoch),
                ]
            )
        }
    }

    /// The finalize was acknowledged: the rows are stored; advance past them and forget the upload.
    func completeSpill(_ spill: SpillUpload, schemaHash: String) async throws {
        try await queue.write { db in
            var progress = try Self.load(db, spill.table)
            progress.advance(epoch: spill.epoch, through: spill.lastSeq ?? 0)
            progress.sentSchemaHash = schemaHash
            try Self.save(db, progress)
            try db.run("DELETE FROM upload_grant WHERE table_name = ?", [.text(spill.table)])
        }
    }

    func dropSpill(_ table: String) async throws {
        try await queue.run { try $0.run("DELETE FROM upload_grant WHERE table_name = ?", [.text(table)]) }
    }

    // MARK: The captured database

    /// The database id and file the agent captured last.
    func capturedDatabase() async throws -> (id: String, file: FileIdentity)? {
        try await queue.run { db in
            let values = try Self.agentValues(db)
            guard let id = values["database_id"], let device = values["file_device"].flatMap({ UInt64($0) }),
                let inode = values["file_inode"].flatMap({ UInt64($0) })
            else { return nil }
            return (id, FileIdentity(device: device, inode: inode))
        }
    }

    func recordCapturedDatabase(id: String, file: FileIdentity) async throws {
        try await queue.write { db in
            try Self.setAgentValues(
                db,
                [("database_id", id), ("file_device", String(file.device)), ("file_inode", String(file.inode))]
            )
        }
    }

    /// The MQTT connection as the running agent last saw it, for `status` (another process).
    func recordConnection(_ connection: String, at time: Timestamp) async throws {
        try await queue.write { db in
            try Self.setAgentValues(db, [("connection", connection), ("connection_since", time.description)])
        }
    }

    /// What `recordConnection` kept last; nil before the agent first ran.
    static func connection(_ db: SQLiteDatabase) throws -> (state: String, since: String)? {
        let values = try agentValues(db)
        return values["connection"].map { ($0, values["connection_since"] ?? "") }
    }

    /// The agent's own key/value facts (the captured database, the connection).
    private static func agentValues(_ db: SQLiteDatabase) throws -> [String: String] {
        Dictionary(
            try db.rows("SELECT key, value FROM agent").compactMap { row in
                row[0].text.flatMap { key in row[1].text.map { (key, $0) } }
            },
            uniquingKeysWith: { first, _ in first }
        )
    }

    private static func setAgentValues(_ db: SQLiteDatabase, _ values: [(String, String)]) throws {
        for (key, value) in values {
            try db.run("INSERT OR REPLACE INTO agent VALUES (?, ?)", [.text(key), .text(value)])
        }
    }

    /// Forgets every outbound batch and upload: they belong to a database that is gone.
    func forgetInFlight() async throws {
        try await queue.write { db in
            try db.execute("DELETE FROM outbound; DELETE FROM upload_grant")
        }
    }

    // MARK: Reports

    func report(table: String?, _ message: String) async throws {
        try await queue.run { db in
            try db.run(
                "INSERT INTO report (at, table_name, message) VALUES (?, ?, ?)",
                [.text(Timestamp.now.description), SQLiteValue(table), .text(message)]
            )
            // The newest thousand are kept: a device must not fill its disk with reports.
            try db.run("DELETE FROM report WHERE id <= (SELECT MAX(id) FROM report) - 1000")
        }
    }

    func reports(limit: Int = 20) async throws -> [AgentReport] {
        try await queue.run { db in
            try db.rows("SELECT at, table_name, message FROM report ORDER BY id DESC LIMIT ?", [.integer(Int64(limit))])
                .map { AgentReport(at: $0[0].text ?? "", table: $0[1].text, message: $0[2].text ?? "") }
        }
    }
}

extension TableProgress {
    /// Where a done batch leaves the next one: the cursor of its epoch and its `batch_seq`.
    mutating func follow(_ batch: OutboundBatch) {
        advance(epoch: batch.epoch, through: batch.lastSeq)
        if let seq = batch.batchSeq { batchSeq = max(batchSeq, seq) }
    }

    /// What a done batch changes: `follow`, and the schema it sent.
    mutating func complete(_ batch: OutboundBatch) {
        follow(batch)
        if let hash = batch.schemaHashSent { sentSchemaHash = hash }
    }

    /// Moves the cursor to `seq` of `epoch`; a new epoch starts from there.
    mutating func advance(epoch: String, through seq: Int64) {
        if self.epoch != epoch {
            self.epoch = epoch
            lastAckedSeq = 0
            legacyTelemetryCursor = nil
        }
        lastAckedSeq = max(lastAckedSeq, seq)
    }
}

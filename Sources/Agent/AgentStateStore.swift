import EdgeSyncModels
import Foundation
import GRDB

/// Per-table progress kept by the agent.
struct TableProgress: Sendable, Hashable {
    var name: String
    /// Rows tables: the last commit_seq the server acknowledged.
    var lastAckedSeq: Int64 = 0
    /// Telemetry tables: the last batch_seq acknowledged and the `(ts, rowid)` cursor.
    var batchSeq: Int64 = 0
    var tsCursor: String?
    var rowidCursor: Int64?
    /// The fingerprint hash last sent with `schema_columns` (nil: send them on the next batch).
    var sentSchemaHash: String?
    var paused = false
    var watermark: Int64?
    var lastError: String?
    /// Set when retention dropped journal rows of the paused table: re-snapshot on resume.
    var needsResnapshot = false
}

/// A batch persisted before it is sent, so a resend after a crash has the same id and bytes.
struct OutboundBatch: Sendable, Hashable {
    var table: String
    var batchID: String
    var topic: UplinkTopic
    var body: [UInt8]
    var rowCount: Int
    /// Rows: the batch's last commit_seq. Telemetry: its batch_seq and end cursor.
    var lastSeq: Int64?
    var batchSeq: Int64?
    var tsEnd: String?
    var rowidEnd: Int64?
    /// The schema hash whose columns the batch carries, if any.
    var schemaHashSent: String?
}

/// The agent's own SQLite file (`state_db_path`): progress, the outbound batch per table,
/// processed control ids, cloud versions for `lkcv`, and reports of dropped data.
final class AgentStateStore: Sendable {
    let queue: DatabaseQueue

    init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        queue = try DatabaseQueue(path: path, configuration: configuration)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE table_state (
                        name TEXT PRIMARY KEY, last_acked_seq INTEGER NOT NULL DEFAULT 0, batch_seq INTEGER NOT NULL DEFAULT 0,
                        ts_cursor TEXT, rowid_cursor INTEGER, sent_schema_hash TEXT, paused INTEGER NOT NULL DEFAULT 0, watermark INTEGER,
                        last_error TEXT, needs_resnapshot INTEGER NOT NULL DEFAULT 0);
                    CREATE TABLE outbound (
                        table_name TEXT PRIMARY KEY, batch_id TEXT NOT NULL, topic TEXT NOT NULL, body BLOB NOT NULL, row_count INTEGER NOT NULL,
                        last_seq INTEGER, batch_seq INTEGER, ts_end TEXT, rowid_end INTEGER, schema_hash_sent TEXT);
                    CREATE TABLE processed_control (id TEXT PRIMARY KEY, at INTEGER NOT NULL);
                    CREATE TABLE cloud_version (table_name TEXT NOT NULL, pk TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (table_name, pk));
                    CREATE TABLE report (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, table_name TEXT, message TEXT NOT NULL);
                    """
            )
        }
        migrator.registerMigration("v2-uploads") { db in
            try db.execute(
                sql: """
                    CREATE TABLE upload_grant (
                        table_name TEXT PRIMARY KEY, batch_id TEXT, url TEXT, segment_kind TEXT NOT NULL, expires_at INTEGER,
                        requested_at INTEGER NOT NULL, last_seq INTEGER);
                    """
            )
        }
        try migrator.migrate(queue)
    }

    func progress(_ table: String) throws -> TableProgress {
        try queue.read { db in try Self.load(db, table) }
    }

    static func load(_ db: Database, _ table: String) throws -> TableProgress {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM table_state WHERE name = ?", arguments: [table]) else {
            return TableProgress(name: table)
        }
        return TableProgress(
            name: table,
            lastAckedSeq: row["last_acked_seq"],
            batchSeq: row["batch_seq"],
            tsCursor: row["ts_cursor"],
            rowidCursor: row["rowid_cursor"],
            sentSchemaHash: row["sent_schema_hash"],
            paused: row["paused"],
            watermark: row["watermark"],
            lastError: row["last_error"],
            needsResnapshot: row["needs_resnapshot"]
        )
    }

    func save(_ progress: TableProgress) throws {
        try queue.write { db in try Self.save(db, progress) }
    }

    static func save(_ db: Database, _ p: TableProgress) throws {
        try db.execute(
            sql: """
                INSERT INTO table_state (name, last_acked_seq, batch_seq, ts_cursor, rowid_cursor, sent_schema_hash, paused, watermark, last_error,
                needs_resnapshot) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET last_acked_seq = excluded.last_acked_seq,
                batch_seq = excluded.batch_seq, ts_cursor = excluded.ts_cursor, rowid_cursor = excluded.rowid_cursor,
                sent_schema_hash = excluded.sent_schema_hash, paused = excluded.paused, watermark = excluded.watermark,
                last_error = excluded.last_error, needs_resnapshot = excluded.needs_resnapshot
                """,
            arguments: [
                p.name, p.lastAckedSeq, p.batchSeq, p.tsCursor, p.rowidCursor, p.sentSchemaHash, p.paused, p.watermark,
                p.lastError, p.needsResnapshot,
            ]
        )
    }

    func outbound(_ table: String) throws -> OutboundBatch? {
        try queue.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM outbound WHERE table_name = ?", arguments: [table]).map {
                OutboundBatch(
                    table: table,
                    batchID: $0["batch_id"],
                    topic: UplinkTopic(rawValue: $0["topic"]) ?? .rowBatch,
                    body: Array($0["body"] as Data),
                    rowCount: $0["row_count"],
                    lastSeq: $0["last_seq"],
                    batchSeq: $0["batch_seq"],
                    tsEnd: $0["ts_end"],
                    rowidEnd: $0["rowid_end"],
                    schemaHashSent: $0["schema_hash_sent"]
                )
            }
        }
    }

    func saveOutbound(_ batch: OutboundBatch) throws {
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO outbound (table_name, batch_id, topic, body, row_count, last_seq, batch_seq, ts_end, rowid_end, schema_hash_sent)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    batch.table, batch.batchID, batch.topic.rawValue, Data(batch.body), batch.rowCount, batch.lastSeq,
                    batch.batchSeq,
                    batch.tsEnd, batch.rowidEnd, batch.schemaHashSent,
                ]
            )
        }
    }

    /// The batch is done (acknowledged, or rejected and dropped): advance the cursor and forget
    /// it, in one transaction.
    func complete(_ batch: OutboundBatch) throws -> TableProgress {
        try queue.write { db in
            var progress = try Self.load(db, batch.table)
            if let last = batch.lastSeq { progress.lastAckedSeq = max(progress.lastAckedSeq, last) }
            if let seq = batch.batchSeq { progress.batchSeq = max(progress.batchSeq, seq) }
            if let ts = batch.tsEnd {
                progress.tsCursor = ts
                progress.rowidCursor = batch.rowidEnd
            }
            if let hash = batch.schemaHashSent { progress.sentSchemaHash = hash }
            try Self.save(db, progress)
            try db.execute(
                sql: "DELETE FROM outbound WHERE table_name = ? AND batch_id = ?",
                arguments: [batch.table, batch.batchID]
            )
            return progress
        }
    }

    func dropOutbound(_ table: String) throws {
        try queue.write { db in try db.execute(sql: "DELETE FROM outbound WHERE table_name = ?", arguments: [table]) }
    }

    /// Records a control id; false when it had been processed before.
    func markProcessed(_ controlID: String) throws -> Bool {
        try queue.write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO processed_control VALUES (?, ?)",
                arguments: [controlID, Int64(Date().timeIntervalSince1970)]
            )
            return db.changesCount == 1
        }
    }

    func isProcessed(_ controlID: String) throws -> Bool {
        try queue.read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM processed_control WHERE id = ?", arguments: [controlID]) == true
        }
    }

    func setCloudVersion(table: String, pk: String, version: Int64) throws {
        try queue.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO cloud_version VALUES (?, ?, ?)",
                arguments: [table, pk, version]
            )
        }
    }

    func cloudVersions(table: String) throws -> [String: Int64] {
        try queue.read { db in
            Dictionary(
                try Row.fetchAll(
                    db,
                    sql: "SELECT pk, version FROM cloud_version WHERE table_name = ?",
                    arguments: [table]
                ).map {
                    ($0["pk"], $0["version"])
                },
                uniquingKeysWith: { _, last in last }
            )
        }
    }

    /// The upload of a table's large backlog: requested, then granted, then (object built) with
    /// the last commit_seq it carries, so a restart PUTs and finalizes the same rows.
    struct SpillUpload: Sendable, Hashable {
        var table: String
        var batchID: String?
        var url: String?
        var segmentKind: SegmentKind
        var expiresAt: Int64?
        var requestedAt: Int64
        var lastSeq: Int64?
    }

    func spill(_ table: String) throws -> SpillUpload? {
        try queue.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM upload_grant WHERE table_name = ?", arguments: [table]).map {
                SpillUpload(
                    table: table,
                    batchID: $0["batch_id"],
                    url: $0["url"],
                    segmentKind: SegmentKind(rawValue: $0["segment_kind"]) ?? .payloadSpill,
                    expiresAt: $0["expires_at"],
                    requestedAt: $0["requested_at"],
                    lastSeq: $0["last_seq"]
                )
            }
        }
    }

    func saveSpill(_ spill: SpillUpload) throws {
        try queue.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO upload_grant VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    spill.table, spill.batchID, spill.url, spill.segmentKind.rawValue, spill.expiresAt,
                    spill.requestedAt, spill.lastSeq,
                ]
            )
        }
    }

    /// The finalize was acknowledged: the rows are stored; advance past them and forget the upload.
    func completeSpill(_ spill: SpillUpload, schemaHash: String) throws {
        try queue.write { db in
            var progress = try Self.load(db, spill.table)
            progress.lastAckedSeq = max(progress.lastAckedSeq, spill.lastSeq ?? 0)
            progress.sentSchemaHash = schemaHash
            try Self.save(db, progress)
            try db.execute(sql: "DELETE FROM upload_grant WHERE table_name = ?", arguments: [spill.table])
        }
    }

    func report(table: String?, _ message: String) throws {
        try queue.write { db in
            try db.execute(
                sql: "INSERT INTO report (at, table_name, message) VALUES (?, ?, ?)",
                arguments: [Date().ISO8601Format(), table, message]
            )
        }
    }

    func reports(limit: Int = 20) throws -> [(String, String?, String)] {
        try queue.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT at, table_name, message FROM report ORDER BY id DESC LIMIT ?",
                arguments: [limit]
            ).map {
                ($0["at"], $0["table_name"], $0["message"])
            }
        }
    }
}

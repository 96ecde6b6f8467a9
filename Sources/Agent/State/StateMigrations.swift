/// The state file's schema, migrated in order and recorded in `PRAGMA user_version`. A file made
/// by an older agent (which recorded its migrations in `grdb_migrations`) continues from where it
/// stopped.
enum StateMigrations {
    static let migrations: [String] = [
        // 1: progress, outbound batches, controls, cloud versions, reports.
        """
        CREATE TABLE table_state (
            name TEXT PRIMARY KEY, last_acked_seq INTEGER NOT NULL DEFAULT 0, batch_seq INTEGER NOT NULL DEFAULT 0,
            ts_cursor TEXT, rowid_cursor INTEGER, sent_schema_hash TEXT, paused INTEGER NOT NULL DEFAULT 0,
            watermark INTEGER, last_error TEXT, needs_resnapshot INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE outbound (
            table_name TEXT PRIMARY KEY, batch_id TEXT NOT NULL, topic TEXT NOT NULL, body BLOB NOT NULL,
            row_count INTEGER NOT NULL, last_seq INTEGER, batch_seq INTEGER, ts_end TEXT, rowid_end INTEGER,
            schema_hash_sent TEXT);
        CREATE TABLE processed_control (id TEXT PRIMARY KEY, at INTEGER NOT NULL);
        CREATE TABLE cloud_version (
            table_name TEXT NOT NULL, pk TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (table_name, pk));
        CREATE TABLE report (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, table_name TEXT, message TEXT NOT NULL);
        """,
        // 2: uploads.
        """
        CREATE TABLE upload_grant (
            table_name TEXT PRIMARY KEY, batch_id TEXT, url TEXT, segment_kind TEXT NOT NULL, expires_at INTEGER,
            requested_at INTEGER NOT NULL, last_seq INTEGER);
        """,
        // 3: per-table journals: cursors belong to an epoch; the captured database's identity;
        // upload objects on disk.
        """
        ALTER TABLE table_state ADD COLUMN journal_epoch TEXT;
        ALTER TABLE outbound ADD COLUMN journal_epoch TEXT;
        ALTER TABLE upload_grant ADD COLUMN object_path TEXT;
        ALTER TABLE upload_grant ADD COLUMN journal_epoch TEXT;
        CREATE TABLE agent (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        """,
        // 4: when the agent first saw a journal reach a seq, for the age of the oldest unsent row.
        """
        CREATE TABLE journal_mark (
            table_name TEXT NOT NULL, epoch TEXT NOT NULL, seq INTEGER NOT NULL, seen_at INTEGER NOT NULL,
            PRIMARY KEY (table_name, epoch, seq)) WITHOUT ROWID;
        """,
        // 5: several batches of a table outbound at once (a rows table keeps more than one in flight).
        """
        CREATE TABLE outbound_batch (
            table_name TEXT NOT NULL, batch_id TEXT NOT NULL, topic TEXT NOT NULL, body BLOB NOT NULL,
            row_count INTEGER NOT NULL, last_seq INTEGER, batch_seq INTEGER, ts_end TEXT, rowid_end INTEGER,
            schema_hash_sent TEXT, journal_epoch TEXT, PRIMARY KEY (table_name, batch_id));
        INSERT INTO outbound_batch SELECT table_name, batch_id, topic, body, row_count, last_seq, batch_seq, ts_end,
            rowid_end, schema_hash_sent, journal_epoch FROM outbound;
        DROP TABLE outbound;
        ALTER TABLE outbound_batch RENAME TO outbound;
        """,
    ]

    /// The migrations an older agent recorded under GRDB's names.
    static let earlierNames = ["v1", "v2-uploads"]

    static func migrate(_ db: SQLiteDatabase) throws {
        var version = Int(try db.scalar("PRAGMA user_version")?.integer ?? 0)
        if version == 0,
            try db.scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'grdb_migrations'") != nil
        {
            let applied = Set(try db.rows("SELECT identifier FROM grdb_migrations").compactMap { $0[0].text })
            version = earlierNames.prefix { applied.contains($0) }.count
        }
        while version < migrations.count {
            let next = version + 1
            try db.transaction {
                try db.execute(migrations[version])
                try db.execute("PRAGMA user_version = \(next)")
            }
            version = next
        }
        // The legacy cursor (last_acked_seq with no epoch) stays valid: the upgrade of the capture
        // keeps the epoch of every rows table it continues and stamps it here (`adoptEpoch`).
    }
}

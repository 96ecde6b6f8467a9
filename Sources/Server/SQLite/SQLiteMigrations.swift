import GRDB

/// Every schema change of the store, registered in order in this one place. Times are integer
/// nanoseconds since the Unix epoch (sortable, exact); ids are UUIDv7 text (time-ordered).
enum SQLiteMigrations {
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-tenancy") { db in
            try db.execute(
                sql: """
                    CREATE TABLE org (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL);
                    CREATE TABLE project (
                        id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES org(id), name TEXT NOT NULL,
                        topic_slug TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL);
                    CREATE TABLE fleet (
                        id TEXT PRIMARY KEY, project_id TEXT NOT NULL REFERENCES project(id), name TEXT NOT NULL,
                        created_at INTEGER NOT NULL, UNIQUE (project_id, name));
                    CREATE TABLE device (
                        id TEXT PRIMARY KEY, project_id TEXT NOT NULL REFERENCES project(id),
                        fleet_id TEXT NOT NULL REFERENCES fleet(id), name TEXT NOT NULL,
                        password_hash TEXT, certificate_serial TEXT, created_at INTEGER NOT NULL, last_seen_at INTEGER,
                        UNIQUE (project_id, name));
                    CREATE TABLE api_token (
                        id TEXT PRIMARY KEY, name TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, scopes TEXT NOT NULL,
                        created_at INTEGER NOT NULL, revoked_at INTEGER);
                    """
            )
        }
        migrator.registerMigration("v1-lineages") { db in
            try db.execute(
                sql: """
                    CREATE TABLE lineage (
                        id TEXT PRIMARY KEY, project_id TEXT NOT NULL, device_id TEXT NOT NULL REFERENCES device(id),
                        fleet_id TEXT NOT NULL, device_name TEXT NOT NULL, source_table TEXT NOT NULL, strategy TEXT NOT NULL,
                        status TEXT NOT NULL, pause_reason TEXT, sync_authority TEXT NOT NULL, schema_hash TEXT,
                        staged_row_count INTEGER NOT NULL DEFAULT 0, staged_bytes INTEGER NOT NULL DEFAULT 0,
                        mirrored_row_count INTEGER NOT NULL DEFAULT 0, last_batch_at INTEGER, last_commit_seq INTEGER,
                        last_batch_seq INTEGER, materialization_failure_count INTEGER NOT NULL DEFAULT 0,
                        last_materialization_error TEXT, mirror_table TEXT,
                        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, UNIQUE (device_id, source_table));
                    CREATE INDEX lineage_by_updated ON lineage (project_id, updated_at DESC, id);
                    CREATE INDEX lineage_by_status ON lineage (project_id, status, updated_at DESC);
                    CREATE INDEX lineage_by_staged ON lineage (project_id, staged_row_count DESC, id);
                    CREATE INDEX lineage_by_device_name ON lineage (project_id, device_name, source_table);
                    CREATE INDEX lineage_by_fleet ON lineage (fleet_id, updated_at DESC);
                    CREATE TABLE schema_version (
                        lineage_id TEXT NOT NULL REFERENCES lineage(id) ON DELETE CASCADE, schema_hash TEXT NOT NULL,
                        columns_json TEXT, classification TEXT NOT NULL, decision TEXT NOT NULL,
                        first_seen_at INTEGER NOT NULL, approved_at INTEGER, PRIMARY KEY (lineage_id, schema_hash));
                    CREATE TABLE observed_schema (
                        device_id TEXT NOT NULL, source_table TEXT NOT NULL, schema_hash TEXT NOT NULL,
                        columns_json TEXT, observed_at INTEGER NOT NULL, PRIMARY KEY (device_id, source_table, schema_hash));
                    CREATE TABLE schema_review (
                        id TEXT PRIMARY KEY, project_id TEXT NOT NULL, scope TEXT NOT NULL, lineage_id TEXT,
                        device_id TEXT, fleet_id TEXT, source_table TEXT NOT NULL, strategy TEXT NOT NULL,
                        schema_hash TEXT NOT NULL, previous_schema_hash TEXT, classification TEXT NOT NULL,
                        classification_reason TEXT NOT NULL, status TEXT NOT NULL, action_version INTEGER NOT NULL,
                        claimed_by TEXT, claimed_at INTEGER, decided_by TEXT, decided_at INTEGER, reason TEXT,
                        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
                    CREATE INDEX review_by_status ON schema_review (project_id, status, created_at);
                    CREATE INDEX review_by_created ON schema_review (project_id, created_at);
                    CREATE INDEX review_by_lineage ON schema_review (lineage_id, status);
                    CREATE INDEX review_by_device ON schema_review (device_id, created_at);
                    """
            )
        }
        migrator.registerMigration("v1-ingest") { db in
            try db.execute(
                sql: """
                    CREATE TABLE batch_ledger (
                        id INTEGER PRIMARY KEY AUTOINCREMENT, project_id TEXT NOT NULL, received_at INTEGER NOT NULL,
                        device_id TEXT NOT NULL, lineage_id TEXT, source_table TEXT, topic_suffix TEXT NOT NULL,
                        batch_id TEXT, row_count INTEGER NOT NULL, bytes INTEGER NOT NULL, outcome TEXT NOT NULL,
                        rejection_code TEXT, rejection_message TEXT);
                    CREATE INDEX ledger_by_project ON batch_ledger (project_id, id);
                    CREATE INDEX ledger_by_lineage ON batch_ledger (lineage_id, id);
                    CREATE INDEX ledger_by_device ON batch_ledger (device_id, id);
                    CREATE INDEX ledger_by_outcome ON batch_ledger (project_id, outcome, id);
                    CREATE INDEX ledger_by_code ON batch_ledger (project_id, rejection_code, id);
                    CREATE TABLE row_dedup (
                        device_id TEXT NOT NULL, source_table TEXT NOT NULL, journal_epoch TEXT NOT NULL,
                        source_pk_hash TEXT NOT NULL, commit_seq INTEGER NOT NULL,
                        PRIMARY KEY (device_id, source_table, journal_epoch, source_pk_hash, commit_seq)) WITHOUT ROWID;
                    CREATE TABLE telemetry_batch (
                        device_id TEXT NOT NULL, source_table TEXT NOT NULL, batch_id TEXT NOT NULL, batch_seq INTEGER NOT NULL,
                        PRIMARY KEY (device_id, batch_id)) WITHOUT ROWID;
                    CREATE UNIQUE INDEX telemetry_batch_seq ON telemetry_batch (device_id, source_table, batch_seq);
                    CREATE TABLE staged_row (
                        id INTEGER PRIMARY KEY AUTOINCREMENT, lineage_id TEXT NOT NULL REFERENCES lineage(id) ON DELETE CASCADE,
                        commit_seq INTEGER, journal_epoch TEXT, ts_ns INTEGER, op TEXT, pk_json TEXT, row_json TEXT,
                        row_id TEXT, reason TEXT NOT NULL, schema_hash TEXT NOT NULL, bytes INTEGER NOT NULL,
                        received_at INTEGER NOT NULL);
                    CREATE INDEX staged_by_lineage ON staged_row (lineage_id, id);
                    CREATE TABLE pending_control (
                        id TEXT PRIMARY KEY, project_id TEXT NOT NULL, device_id TEXT NOT NULL, lineage_id TEXT,
                        kind TEXT NOT NULL, source_table TEXT, body TEXT NOT NULL, created_at INTEGER NOT NULL,
                        sent_count INTEGER NOT NULL DEFAULT 0, last_sent_at INTEGER, acked_at INTEGER);
                    CREATE INDEX control_unacked ON pending_control (device_id, acked_at, created_at);
                    CREATE INDEX control_by_lineage ON pending_control (lineage_id, created_at);
                    CREATE TABLE event (
                        id INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL, project_id TEXT NOT NULL,
                        device_id TEXT, lineage_id TEXT, kind TEXT NOT NULL, outcome TEXT NOT NULL, message TEXT NOT NULL);
                    CREATE INDEX event_by_project ON event (project_id, id);
                    CREATE INDEX event_by_kind ON event (project_id, kind, id);
                    CREATE INDEX event_by_lineage ON event (lineage_id, id);
                    """
            )
        }
        migrator.registerMigration("v1-api") { db in
            try db.execute(
                sql: """
                    CREATE TABLE idempotency_key (
                        principal_id TEXT NOT NULL, key TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL,
                        body_hash TEXT NOT NULL, status INTEGER NOT NULL, response BLOB NOT NULL, created_at INTEGER NOT NULL,
                        PRIMARY KEY (principal_id, key));
                    CREATE INDEX idempotency_by_age ON idempotency_key (created_at);
                    """
            )
        }
        migrator.registerMigration("v1-governance") { db in
            try db.execute(
                sql: """
                    CREATE TABLE policy (
                        project_id TEXT NOT NULL, fleet_id TEXT NOT NULL DEFAULT '', body TEXT NOT NULL, updated_at INTEGER NOT NULL,
                        PRIMARY KEY (project_id, fleet_id));
                    CREATE TABLE data_point (
                        id TEXT PRIMARY KEY, project_id TEXT NOT NULL, device_id TEXT NOT NULL REFERENCES device(id) ON DELETE CASCADE,
                        name TEXT NOT NULL, unit TEXT, created_at INTEGER NOT NULL, UNIQUE (device_id, name));
                    CREATE INDEX data_point_by_project ON data_point (project_id, device_id, name);
                    CREATE TABLE registry_entry (
                        id TEXT PRIMARY KEY, project_id TEXT NOT NULL, scope TEXT NOT NULL, fleet_id TEXT NOT NULL DEFAULT '',
                        source_table TEXT NOT NULL, schema_hash TEXT NOT NULL, columns_json TEXT, decision TEXT NOT NULL,
                        review_id TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
                        UNIQUE (project_id, scope, fleet_id, source_table, schema_hash));
                    CREATE TABLE coalesced_mirror (
                        id TEXT PRIMARY KEY, project_id TEXT NOT NULL, scope TEXT NOT NULL, fleet_id TEXT NOT NULL DEFAULT '',
                        source_table TEXT NOT NULL, mirror_table TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL);
                    """
            )
        }
        migrator.registerMigration("v2-materialization") { db in
            try db.execute(
                sql: """
                    CREATE TABLE binding (
                        lineage_id TEXT NOT NULL REFERENCES lineage(id) ON DELETE CASCADE, source_column TEXT NOT NULL,
                        action TEXT NOT NULL, mirror_column TEXT, data_point_id TEXT, target_column TEXT, affinity TEXT NOT NULL,
                        pk_ordinal INTEGER NOT NULL, schema_hash TEXT NOT NULL, position INTEGER NOT NULL,
                        PRIMARY KEY (lineage_id, source_column));
                    CREATE TABLE replay_intent (
                        id TEXT PRIMARY KEY, lineage_id TEXT NOT NULL REFERENCES lineage(id) ON DELETE CASCADE, state TEXT NOT NULL,
                        total_rows INTEGER NOT NULL, replayed_rows INTEGER NOT NULL DEFAULT 0, last_error TEXT,
                        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
                    CREATE INDEX replay_by_lineage ON replay_intent (lineage_id, created_at);
                    CREATE INDEX replay_open ON replay_intent (state, created_at);
                    CREATE INDEX staged_by_commit ON staged_row (lineage_id, journal_epoch, commit_seq);
                    CREATE INDEX staged_by_ts ON staged_row (lineage_id, ts_ns);
                    CREATE TABLE mirror_tombstone (
                        lineage_id TEXT NOT NULL REFERENCES lineage(id) ON DELETE CASCADE, pk_hash TEXT NOT NULL,
                        journal_epoch TEXT NOT NULL, commit_seq INTEGER NOT NULL, PRIMARY KEY (lineage_id, pk_hash)) WITHOUT ROWID;
                    CREATE INDEX control_resend ON pending_control (acked_at, last_sent_at);
                    ALTER TABLE lineage ADD COLUMN device_paused INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE lineage ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE schema_review ADD COLUMN claimed_by_token TEXT;
                    ALTER TABLE registry_entry ADD COLUMN strategy TEXT NOT NULL DEFAULT 'rows';
                    ALTER TABLE registry_entry ADD COLUMN bindings_json TEXT;
                    CREATE INDEX registry_by_review ON registry_entry (review_id);
                    CREATE INDEX lineage_device_paused ON lineage (device_paused, status);
                    """
            )
        }
        migrator.registerMigration("v3-uploads") { db in
            try db.execute(
                sql: """
                    CREATE TABLE upload (
                        id TEXT PRIMARY KEY, project_id TEXT NOT NULL, device_id TEXT NOT NULL, source_table TEXT NOT NULL,
                        segment_kind TEXT NOT NULL, expires_at INTEGER NOT NULL, state TEXT NOT NULL, bytes INTEGER,
                        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
                    CREATE INDEX upload_by_device ON upload (device_id, created_at);
                    """
            )
        }
        // A staged row is either a row change (commit_seq) or a sample (ts_ns), never both: each
        // replay-order index covers only its own kind, so an insert maintains one, not two.
        migrator.registerMigration("v4-staged-partial-indexes") { db in
            try db.execute(
                sql: """
                    DROP INDEX staged_by_commit;
                    DROP INDEX staged_by_ts;
                    CREATE INDEX staged_by_commit ON staged_row (lineage_id, journal_epoch, commit_seq) WHERE commit_seq IS NOT NULL;
                    CREATE INDEX staged_by_ts ON staged_row (lineage_id, ts_ns) WHERE ts_ns IS NOT NULL;
                    """
            )
        }
        migrator.registerMigration("v5-snapshot-retirement") { db in
            // A re-snapshot's end (epoch, commit_seq) waiting for its rows to land, and the epoch
            // below which rows were retired (they can no longer bring a row back).
            try db.execute(
                sql: """
                    ALTER TABLE lineage ADD COLUMN retire_epoch TEXT;
                    ALTER TABLE lineage ADD COLUMN retire_through INTEGER;
                    ALTER TABLE lineage ADD COLUMN retired_before_epoch TEXT;
                    """
            )
        }
        migrator.registerMigration("v6-rejected-payloads") { db in
            // A rejected batch's bytes, kept so that nothing a device sent is lost, and the running
            // total per project that bounds them; the journal_epoch a telemetry table's batch_seq
            // counts in.
            try db.execute(
                sql: """
                    CREATE TABLE rejected_payload (
                        ledger_id INTEGER PRIMARY KEY, project_id TEXT NOT NULL, bytes INTEGER NOT NULL, payload BLOB NOT NULL);
                    CREATE INDEX rejected_payload_by_project ON rejected_payload (project_id, ledger_id);
                    CREATE TABLE rejected_payload_usage (project_id TEXT PRIMARY KEY, bytes INTEGER NOT NULL);
                    ALTER TABLE batch_ledger ADD COLUMN reingested_entry_id INTEGER;
                    ALTER TABLE lineage ADD COLUMN telemetry_epoch TEXT NOT NULL DEFAULT '';
                    """
            )
        }
        migrator.registerMigration("v7-replicas") { db in
            // Which server holds each device's connection (an epoch per session, so that a
            // replaced session is never mistaken for the current one; no replica once a device's
            // credentials are revoked or the device deleted, so that its connection is closed
            // wherever it is), the servers' heartbeats, secrets every server of a store shares,
            // the controls waiting for a first send, and upload objects kept in the store.
            try db.execute(
                sql: """
                    CREATE TABLE device_session (
                        device_id TEXT PRIMARY KEY, replica_id TEXT NOT NULL,
                        epoch TEXT NOT NULL, connected_at INTEGER NOT NULL);
                    CREATE INDEX device_session_by_replica ON device_session (replica_id);
                    CREATE INDEX device_session_by_time ON device_session (connected_at);
                    CREATE TABLE replica (id TEXT PRIMARY KEY, started_at INTEGER NOT NULL, heartbeat_at INTEGER NOT NULL);
                    CREATE TABLE server_secret (name TEXT PRIMARY KEY, value TEXT NOT NULL, created_at INTEGER NOT NULL);
                    CREATE INDEX control_due ON pending_control (created_at) WHERE acked_at IS NULL AND last_sent_at IS NULL;
                    CREATE TABLE upload_chunk (
                        upload_id TEXT NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (upload_id, seq));
                    """
            )
        }
        // The dedup key in commit order: each stream's new keys land at the end of its range
        // instead of at a random place of the whole table (the hash led the key), which dirtied
        // a page of the table for nearly every row staged. Only equality is ever asked of it.
        migrator.registerMigration("v8-dedup-in-commit-order") { db in
            try db.execute(
                sql: """
                    CREATE TABLE row_dedup_v8 (
                        device_id TEXT NOT NULL, source_table TEXT NOT NULL, journal_epoch TEXT NOT NULL,
                        source_pk_hash TEXT NOT NULL, commit_seq INTEGER NOT NULL,
                        PRIMARY KEY (device_id, source_table, journal_epoch, commit_seq, source_pk_hash)) WITHOUT ROWID;
                    INSERT INTO row_dedup_v8 SELECT device_id, source_table, journal_epoch, source_pk_hash, commit_seq
                    FROM row_dedup;
                    DROP TABLE row_dedup;
                    ALTER TABLE row_dedup_v8 RENAME TO row_dedup;
                    """
            )
        }
        // A staged row change keeps its key's hash, computed at ingest, so that a replay does not
        // compute it again from the key's JSON; rows staged before stay NULL and are hashed then.
        migrator.registerMigration("v9-staged-key-hash") { db in
            try db.execute(sql: "ALTER TABLE staged_row ADD COLUMN pk_hash TEXT")
        }
        // Every batch moves its lineage's `updated_at`, and with it an entry of each index whose
        // key holds it: with four such indexes a one-row batch wrote 12 pages for its lineage
        // alone. The status and fleet indexes serve their filters and the summary's counts
        // without it (a page filtered by status or fleet sorts the lineages it matched). The
        // ledger's code index, only ever asked for one code, keeps rejections only: every other
        // entry wrote its last page too.
        migrator.registerMigration("v10-indexes-off-the-ingest-path") { db in
            try db.execute(
                sql: """
                    DROP INDEX lineage_by_status;
                    DROP INDEX lineage_by_fleet;
                    DROP INDEX ledger_by_code;
                    CREATE INDEX lineage_by_status ON lineage (project_id, status);
                    CREATE INDEX lineage_by_fleet ON lineage (fleet_id);
                    CREATE INDEX ledger_by_code ON batch_ledger (project_id, rejection_code, id)
                    WHERE rejection_code IS NOT NULL;
                    """
            )
        }
        // The staged count moves with every staged batch, and its index entry with it: 2.7 of the
        // 21 WAL frames a one-sample staged batch wrote (`lineage_by_updated`, which the default
        // order reads, moves too and stays). A page sorted by staged count now sorts the
        // project's lineages: 3 ms for 10,000 of them.
        migrator.registerMigration("v11-staged-count-unindexed") { db in
            try db.execute(sql: "DROP INDEX lineage_by_staged")
        }
        return migrator
    }
}

/// Every schema change of the PostgreSQL store, registered in order in this one place; each runs
/// in its own transaction, all of them under an advisory lock so that replicas starting together
/// do not race. The tables are the SQLite store's (`SQLiteMigrations`), typed: times are bigint
/// nanoseconds since the Unix epoch, ids UUIDv7 text, identity columns where SQLite has
/// AUTOINCREMENT.
enum PostgresMigrations {
    struct Migration {
        let name: String
        let statements: [String]
    }

    /// `pg_advisory_lock` key of the migrations ("edgesync" in ASCII, as a number).
    static let lockKey: Int64 = 0x65_64_67_65_73_79_6E_63

    static let all: [Migration] = [
        Migration(
            name: "v1-store",
            statements: [
                "CREATE TABLE org (id text PRIMARY KEY, name text NOT NULL, created_at bigint NOT NULL)",
                """
                CREATE TABLE project (
                    id text PRIMARY KEY, org_id text NOT NULL REFERENCES org(id), name text NOT NULL,
                    topic_slug text NOT NULL UNIQUE, created_at bigint NOT NULL)
                """,
                """
                CREATE TABLE fleet (
                    id text PRIMARY KEY, project_id text NOT NULL REFERENCES project(id), name text NOT NULL,
                    created_at bigint NOT NULL, UNIQUE (project_id, name))
                """,
                """
                CREATE TABLE device (
                    id text PRIMARY KEY, project_id text NOT NULL REFERENCES project(id),
                    fleet_id text NOT NULL REFERENCES fleet(id), name text NOT NULL,
                    password_hash text, certificate_serial text, created_at bigint NOT NULL, last_seen_at bigint,
                    UNIQUE (project_id, name))
                """,
                """
                CREATE TABLE api_token (
                    id text PRIMARY KEY, name text NOT NULL, token_hash text NOT NULL UNIQUE, scopes text NOT NULL,
                    created_at bigint NOT NULL, revoked_at bigint)
                """,
                """
                CREATE TABLE lineage (
                    id text PRIMARY KEY, project_id text NOT NULL, device_id text NOT NULL REFERENCES device(id),
                    fleet_id text NOT NULL, device_name text NOT NULL, source_table text NOT NULL, strategy text NOT NULL,
                    status text NOT NULL, pause_reason text, sync_authority text NOT NULL, schema_hash text,
                    staged_row_count bigint NOT NULL DEFAULT 0, staged_bytes bigint NOT NULL DEFAULT 0,
                    mirrored_row_count bigint NOT NULL DEFAULT 0, last_batch_at bigint, last_commit_seq bigint,
                    last_batch_seq bigint, materialization_failure_count bigint NOT NULL DEFAULT 0,
                    last_materialization_error text, mirror_table text,
                    created_at bigint NOT NULL, updated_at bigint NOT NULL,
                    device_paused bigint NOT NULL DEFAULT 0, consecutive_failures bigint NOT NULL DEFAULT 0,
                    retire_epoch text, retire_through bigint, retired_before_epoch text,
                    telemetry_epoch text NOT NULL DEFAULT '',
                    UNIQUE (device_id, source_table))
                """,
                "CREATE INDEX lineage_by_updated ON lineage (project_id, updated_at DESC, id)",
                "CREATE INDEX lineage_by_status ON lineage (project_id, status, updated_at DESC)",
                "CREATE INDEX lineage_by_staged ON lineage (project_id, staged_row_count DESC, id)",
                "CREATE INDEX lineage_by_device_name ON lineage (project_id, device_name, source_table)",
                "CREATE INDEX lineage_by_fleet ON lineage (fleet_id, updated_at DESC)",
                "CREATE INDEX lineage_device_paused ON lineage (device_paused, status)",
                """
                CREATE TABLE schema_version (
                    lineage_id text NOT NULL REFERENCES lineage(id) ON DELETE CASCADE, schema_hash text NOT NULL,
                    columns_json text, classification text NOT NULL, decision text NOT NULL,
                    first_seen_at bigint NOT NULL, approved_at bigint, PRIMARY KEY (lineage_id, schema_hash))
                """,
                """
                CREATE TABLE observed_schema (
                    device_id text NOT NULL, source_table text NOT NULL, schema_hash text NOT NULL,
                    columns_json text, observed_at bigint NOT NULL, PRIMARY KEY (device_id, source_table, schema_hash))
                """,
                """
                CREATE TABLE schema_review (
                    id text PRIMARY KEY, project_id text NOT NULL, scope text NOT NULL, lineage_id text,
                    device_id text, fleet_id text, source_table text NOT NULL, strategy text NOT NULL,
                    schema_hash text NOT NULL, previous_schema_hash text, classification text NOT NULL,
                    classification_reason text NOT NULL, status text NOT NULL, action_version bigint NOT NULL,
                    claimed_by text, claimed_at bigint, decided_by text, decided_at bigint, reason text,
                    created_at bigint NOT NULL, updated_at bigint NOT NULL, claimed_by_token text)
                """,
                "CREATE INDEX review_by_status ON schema_review (project_id, status, created_at)",
                "CREATE INDEX review_by_created ON schema_review (project_id, created_at)",
                "CREATE INDEX review_by_lineage ON schema_review (lineage_id, status)",
                "CREATE INDEX review_by_device ON schema_review (device_id, created_at)",
                """
                CREATE TABLE batch_ledger (
                    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, project_id text NOT NULL,
                    received_at bigint NOT NULL, device_id text NOT NULL, lineage_id text, source_table text,
                    topic_suffix text NOT NULL, batch_id text, row_count bigint NOT NULL, bytes bigint NOT NULL,
                    outcome text NOT NULL, rejection_code text, rejection_message text, reingested_entry_id bigint)
                """,
                "CREATE INDEX ledger_by_project ON batch_ledger (project_id, id)",
                "CREATE INDEX ledger_by_lineage ON batch_ledger (lineage_id, id)",
                "CREATE INDEX ledger_by_device ON batch_ledger (device_id, id)",
                "CREATE INDEX ledger_by_outcome ON batch_ledger (project_id, outcome, id)",
                "CREATE INDEX ledger_by_code ON batch_ledger (project_id, rejection_code, id)",
                """
                CREATE TABLE row_dedup (
                    device_id text NOT NULL, source_table text NOT NULL, journal_epoch text NOT NULL,
                    source_pk_hash text NOT NULL, commit_seq bigint NOT NULL,
                    PRIMARY KEY (device_id, source_table, journal_epoch, source_pk_hash, commit_seq))
                """,
                """
                CREATE TABLE telemetry_batch (
                    device_id text NOT NULL, source_table text NOT NULL, batch_id text NOT NULL,
                    batch_seq bigint NOT NULL, PRIMARY KEY (device_id, batch_id))
                """,
                "CREATE UNIQUE INDEX telemetry_batch_seq ON telemetry_batch (device_id, source_table, batch_seq)",
                """
                CREATE TABLE staged_row (
                    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                    lineage_id text NOT NULL REFERENCES lineage(id) ON DELETE CASCADE,
                    commit_seq bigint, journal_epoch text, ts_ns bigint, op text, pk_json text, row_json text,
                    row_id text, reason text NOT NULL, schema_hash text NOT NULL, bytes bigint NOT NULL,
                    received_at bigint NOT NULL)
                """,
                "CREATE INDEX staged_by_lineage ON staged_row (lineage_id, id)",
                """
                CREATE INDEX staged_by_commit ON staged_row (lineage_id, journal_epoch, commit_seq)
                WHERE commit_seq IS NOT NULL
                """,
                "CREATE INDEX staged_by_ts ON staged_row (lineage_id, ts_ns) WHERE ts_ns IS NOT NULL",
                """
                CREATE TABLE pending_control (
                    id text PRIMARY KEY, project_id text NOT NULL, device_id text NOT NULL, lineage_id text,
                    kind text NOT NULL, source_table text, body text NOT NULL, created_at bigint NOT NULL,
                    sent_count bigint NOT NULL DEFAULT 0, last_sent_at bigint, acked_at bigint)
                """,
                "CREATE INDEX control_unacked ON pending_control (device_id, acked_at, created_at)",
                "CREATE INDEX control_by_lineage ON pending_control (lineage_id, created_at)",
                "CREATE INDEX control_resend ON pending_control (acked_at, last_sent_at)",
                // `tx` is the writing transaction's id: readers follow events in commit order.
                """
                CREATE TABLE event (
                    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, time bigint NOT NULL,
                    project_id text NOT NULL, device_id text, lineage_id text, kind text NOT NULL,
                    outcome text NOT NULL, message text NOT NULL,
                    tx bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint))
                """,
                "CREATE INDEX event_by_project ON event (project_id, id)",
                "CREATE INDEX event_by_kind ON event (project_id, kind, id)",
                "CREATE INDEX event_by_lineage ON event (lineage_id, id)",
                "CREATE INDEX event_by_commit ON event (project_id, tx, id)",
                """
                CREATE TABLE idempotency_key (
                    principal_id text NOT NULL, key text NOT NULL, method text NOT NULL, path text NOT NULL,
                    body_hash text NOT NULL, status bigint NOT NULL, response bytea NOT NULL, created_at bigint NOT NULL,
                    PRIMARY KEY (principal_id, key))
                """,
                "CREATE INDEX idempotency_by_age ON idempotency_key (created_at)",
                """
                CREATE TABLE policy (
                    project_id text NOT NULL, fleet_id text NOT NULL DEFAULT '', body text NOT NULL,
                    updated_at bigint NOT NULL, PRIMARY KEY (project_id, fleet_id))
                """,
                """
                CREATE TABLE data_point (
                    id text PRIMARY KEY, project_id text NOT NULL,
                    device_id text NOT NULL REFERENCES device(id) ON DELETE CASCADE,
                    name text NOT NULL, unit text, created_at bigint NOT NULL, UNIQUE (device_id, name))
                """,
                "CREATE INDEX data_point_by_project ON data_point (project_id, device_id, name)",
                """
                CREATE TABLE registry_entry (
                    id text PRIMARY KEY, project_id text NOT NULL, scope text NOT NULL, fleet_id text NOT NULL DEFAULT '',
                    source_table text NOT NULL, schema_hash text NOT NULL, columns_json text, decision text NOT NULL,
                    review_id text, created_at bigint NOT NULL, updated_at bigint NOT NULL,
                    strategy text NOT NULL DEFAULT 'rows', bindings_json text,
                    UNIQUE (project_id, scope, fleet_id, source_table, schema_hash))
                """,
                "CREATE INDEX registry_by_review ON registry_entry (review_id)",
                """
                CREATE TABLE coalesced_mirror (
                    id text PRIMARY KEY, project_id text NOT NULL, scope text NOT NULL, fleet_id text NOT NULL DEFAULT '',
                    source_table text NOT NULL, mirror_table text NOT NULL UNIQUE, created_at bigint NOT NULL)
                """,
                """
                CREATE TABLE binding (
                    lineage_id text NOT NULL REFERENCES lineage(id) ON DELETE CASCADE, source_column text NOT NULL,
                    action text NOT NULL, mirror_column text, data_point_id text, target_column text,
                    affinity text NOT NULL, pk_ordinal bigint NOT NULL, schema_hash text NOT NULL,
                    position bigint NOT NULL, PRIMARY KEY (lineage_id, source_column))
                """,
                """
                CREATE TABLE replay_intent (
                    id text PRIMARY KEY, lineage_id text NOT NULL REFERENCES lineage(id) ON DELETE CASCADE,
                    state text NOT NULL, total_rows bigint NOT NULL, replayed_rows bigint NOT NULL DEFAULT 0,
                    last_error text, created_at bigint NOT NULL, updated_at bigint NOT NULL)
                """,
                "CREATE INDEX replay_by_lineage ON replay_intent (lineage_id, created_at)",
                "CREATE INDEX replay_open ON replay_intent (state, created_at)",
                """
                CREATE TABLE mirror_tombstone (
                    lineage_id text NOT NULL REFERENCES lineage(id) ON DELETE CASCADE, pk_hash text NOT NULL,
                    journal_epoch text NOT NULL, commit_seq bigint NOT NULL, PRIMARY KEY (lineage_id, pk_hash))
                """,
                """
                CREATE TABLE upload (
                    id text PRIMARY KEY, project_id text NOT NULL, device_id text NOT NULL, source_table text NOT NULL,
                    segment_kind text NOT NULL, expires_at bigint NOT NULL, state text NOT NULL, bytes bigint,
                    created_at bigint NOT NULL, updated_at bigint NOT NULL)
                """,
                "CREATE INDEX upload_by_device ON upload (device_id, created_at)",
                """
                CREATE TABLE rejected_payload (
                    ledger_id bigint PRIMARY KEY, project_id text NOT NULL, bytes bigint NOT NULL,
                    payload bytea NOT NULL)
                """,
                "CREATE INDEX rejected_payload_by_project ON rejected_payload (project_id, ledger_id)",
                "CREATE TABLE rejected_payload_usage (project_id text PRIMARY KEY, bytes bigint NOT NULL)",
            ]
        ),
        Migration(
            name: "v2-replicas",
            statements: [
                """
                CREATE TABLE device_session (
                    device_id text PRIMARY KEY, replica_id text NOT NULL,
                    epoch text NOT NULL, connected_at bigint NOT NULL)
                """,
                "CREATE INDEX device_session_by_replica ON device_session (replica_id)",
                "CREATE INDEX device_session_by_time ON device_session (connected_at)",
                "CREATE TABLE replica (id text PRIMARY KEY, started_at bigint NOT NULL, heartbeat_at bigint NOT NULL)",
                "CREATE TABLE server_secret (name text PRIMARY KEY, value text NOT NULL, created_at bigint NOT NULL)",
                """
                CREATE INDEX control_due ON pending_control (created_at) WHERE acked_at IS NULL AND last_sent_at IS NULL
                """,
                """
                CREATE TABLE upload_chunk (
                    upload_id text NOT NULL, seq bigint NOT NULL, data bytea NOT NULL, PRIMARY KEY (upload_id, seq))
                """,
            ]
        ),
        // The dedup key in commit order, as in the SQLite store's v8: new keys of a stream land
        // at the end of its range of the index, not at a random place of it.
        Migration(
            name: "v3-dedup-in-commit-order",
            statements: [
                """
                ALTER TABLE row_dedup DROP CONSTRAINT row_dedup_pkey,
                ADD PRIMARY KEY (device_id, source_table, journal_epoch, commit_seq, source_pk_hash)
                """
            ]
        ),
        // A staged row change keeps its key's hash, as in the SQLite store's v9.
        Migration(name: "v4-staged-key-hash", statements: ["ALTER TABLE staged_row ADD COLUMN pk_hash text"]),
        // Each write's receipt (`PostgresWriteReceipt`); `fence` marks one written to settle a
        // cut-off COMMIT that had not written its own.
        Migration(
            name: "v5-write-receipt",
            statements: ["CREATE TABLE write_receipt (token uuid PRIMARY KEY, fence boolean NOT NULL DEFAULT false)"]
        ),
        // The replay reads a lineage's staged rows in replay order, `id` last, and resumes after
        // the chunk before: with `id` in the index (SQLite's indexes end in the rowid), a chunk is
        // read from the index in order, where the whole backlog was sorted for every chunk.
        Migration(
            name: "v6-staged-replay-order",
            statements: [
                "DROP INDEX staged_by_commit",
                """
                CREATE INDEX staged_by_commit ON staged_row (lineage_id, journal_epoch, commit_seq, id)
                WHERE commit_seq IS NOT NULL
                """,
                "DROP INDEX staged_by_ts",
                "CREATE INDEX staged_by_ts ON staged_row (lineage_id, ts_ns, id) WHERE ts_ns IS NOT NULL",
            ]
        ),
        // The ledger's code index keeps rejections only, as in the SQLite store's v10: only one
        // code is ever asked of it, and every other entry was written to it too.
        Migration(
            name: "v7-ledger-code-rejections-only",
            statements: [
                "DROP INDEX ledger_by_code",
                """
                CREATE INDEX ledger_by_code ON batch_ledger (project_id, rejection_code, id)
                WHERE rejection_code IS NOT NULL
                """,
            ]
        ),
        // No index on the staged count, as in the SQLite store's v11. A lineage's `updated_at`
        // changes with every batch, so no update of its row is a heap-only one, and each update
        // wrote an entry to every index of the table: one fewer now.
        Migration(name: "v8-staged-count-unindexed", statements: ["DROP INDEX lineage_by_staged"]),
    ]
}

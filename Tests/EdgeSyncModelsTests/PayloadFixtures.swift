import EdgeSyncModels

/// Well-formed payloads to mutate, one per uplink kind.
enum PayloadFixtures {
    static let batchID = "01936f2e-5c3a-7b21-9c4d-2f1e8a7b6c5d"
    static let epoch = "01936f2e-5c3b-7a00-8000-000000000001"

    static let fingerprint = SchemaFingerprint(
        tableName: "device_state",
        columns: [
            SchemaColumn(name: "id", declTypeAffinity: .integer, pkOrdinal: 1, notNull: true),
            SchemaColumn(name: "mode", declTypeAffinity: .text, pkOrdinal: 0, notNull: false),
            SchemaColumn(name: "setpoint", declTypeAffinity: .real, pkOrdinal: 0, notNull: false),
        ]
    )

    static func rowBatch() -> JSONObject {
        [
            "format_version": .integer(1),
            "capture_strategy": .string("sqlite_row_batch_v1"),
            "batch_id": .string(batchID),
            "journal_epoch": .string(epoch),
            "source_table": .string("device_state"),
            "schema_hash": .string(fingerprint.schemaHash),
            "schema_columns": fingerprint.jsonValue,
            "first_commit_seq": .integer(101),
            "last_commit_seq": .integer(102),
            "rows": .array([
                .object([
                    "commit_seq": .integer(101), "op": .string("insert"), "pk": .object(["id": .integer(1)]),
                    "row": .object(["id": .integer(1), "mode": .string("idle"), "setpoint": .double(20.5)]),
                ]),
                .object([
                    "commit_seq": .integer(102), "op": .string("delete"), "pk": .object(["id": .integer(1)]),
                    "row": .null,
                ]),
            ]),
        ]
    }

    static func telemetryBatch() -> JSONObject {
        [
            "format_version": .integer(1),
            "capture_strategy": .string("sqlite_telemetry_batch_v1"),
            "batch_id": .string(batchID),
            "batch_seq": .integer(42),
            "source_table": .string("temps"),
            "schema_hash": .string(fingerprint.schemaHash),
            "cursor_start_ts": .string("2026-04-28T09:00:01Z"),
            "cursor_end_ts": .string("2026-04-28T09:00:02.5Z"),
            "row_count": .integer(2),
            "rows": .array([
                .object([
                    "ts": .string("2026-04-28T09:00:01.000Z"), "row_id": .string("7"),
                    "fields": .object(["value_c": .double(22.1)]),
                ]),
                .object(["ts": .string("2026-04-28T10:00:02.500+01:00"), "fields": .object(["value_c": .double(22.4)])]
                ),
            ]),
        ]
    }

    static func observation() -> JSONObject {
        [
            "format_version": .integer(1), "source_table": .string("device_state"),
            "schema_hash": .string(fingerprint.schemaHash), "observed_at": .string("2026-04-28T09:00:01Z"),
            "schema_columns": fingerprint.jsonValue,
        ]
    }

    static func ack() -> JSONObject {
        ["format_version": .integer(1), "control_id": .string("0193a000-0000-7000-8000-000000000009")]
    }

    static func finalize() -> JSONObject {
        [
            "format_version": .integer(1), "request_kind": .string("finalize"), "source_table": .string("device_state"),
            "batch_id": .string(batchID), "segment_kind": .string("bootstrap_snapshot"),
        ]
    }

    static func bytes(_ object: JSONObject) -> [UInt8] { CanonicalJSON.bytes(of: .object(object)) }

    static func verdict(_ object: JSONObject, _ topic: UplinkTopic) -> String {
        verdict(bytes(object), topic)
    }

    static func verdict(_ bytes: [UInt8], _ topic: UplinkTopic) -> String {
        switch PayloadValidator().validate(bytes, topic: topic) {
        case .success: "ok"
        case .failure(let rejection): rejection.code.rawValue
        }
    }

    /// Replaces `rows[index][key]`.
    static func settingRow(_ object: JSONObject, _ index: Int, _ key: String, _ value: JSONValue?) -> JSONObject {
        var object = object
        var rows = object["rows"]!.arrayValue!
        var row = rows[index].objectValue!
        row[key] = value
        rows[index] = .object(row)
        object["rows"] = .array(rows)
        return object
    }
}

import EdgeSyncModels
import Foundation
import Testing

@Suite("Rejection codes")
struct RejectionCodeTests {
    typealias F = PayloadFixtures

    @Test func fixturesAreValid() {
        #expect(F.verdict(F.rowBatch(), .rowBatch) == "ok")
        #expect(F.verdict(F.telemetryBatch(), .telemetryBatch) == "ok")
        #expect(F.verdict(F.observation(), .schemaObservation) == "ok")
        #expect(F.verdict(F.ack(), .ingestAck) == "ok")
        #expect(F.verdict(F.finalize(), .ingestRequest) == "ok")
    }

    @Test func everyCodeHasItsStableString() {
        let expected = [
            "payload_too_large", "invalid_number_encoding", "invalid_json", "envelope_unstripped_tenant_fields",
            "invalid_format_version", "unsupported_format_version", "invalid_capture_strategy", "invalid_batch_id",
            "invalid_source_table", "invalid_schema_hash", "batch_too_many_rows", "invalid_journal_epoch",
            "invalid_row_op", "missing_row_for_upsert", "commit_seq_range_mismatch", "schema_hash_mismatch",
            "row_count_mismatch", "invalid_row_id", "cursor_timestamp_mismatch", "duplicate_batch_seq",
            "stale_batch_seq",
        ]
        for code in expected { #expect(RejectionCode(rawValue: code) != nil, "\(code)") }
        #expect(
            RejectionCode.allCases.filter(\.isExtension).map(\.rawValue).sorted() == [
                "commit_seq_out_of_order", "invalid_content_encoding", "invalid_payload", "invalid_timestamp",
                "pk_row_mismatch", "row_on_delete",
            ]
        )
    }

    @Test func payloadTooLarge() {
        var object = F.rowBatch()
        object["padding"] = .string(String(repeating: "x", count: WireLimits.maximumPayloadBytes))
        #expect(F.verdict(object, .rowBatch) == "payload_too_large")
        // Size wins over everything else, even garbage.
        #expect(
            F.verdict([UInt8](repeating: 0xFF, count: WireLimits.maximumPayloadBytes + 1), .rowBatch)
                == "payload_too_large"
        )
        #expect(F.verdict([UInt8](repeating: 0x20, count: WireLimits.maximumPayloadBytes), .rowBatch) == "invalid_json")
    }

    @Test func invalidNumberEncoding() {
        for token in ["NaN", "Infinity", "-Infinity"] {
            let body = #"{"format_version":1,"x":"# + token + "}"
            #expect(F.verdict(Array(body.utf8), .rowBatch) == "invalid_number_encoding", "\(token)")
        }
        // Inside strings the tokens are data; a truncated body with NaN is still check 2.
        #expect(F.verdict(Array(#"{"format_version":1,"a":"NaN \"Infinity\""}"#.utf8), .ingestAck) == "invalid_payload")
        #expect(F.verdict(Array(#"{"a":NaN"#.utf8), .ingestAck) == "invalid_number_encoding")
        // A literal too large for a double is not finite either.
        #expect(F.verdict(Array(#"{"format_version":1e999}"#.utf8), .rowBatch) == "invalid_number_encoding")
    }

    @Test func invalidJSON() {
        for body in [
            "", "[]", "\"x\"", "42", "{", "{\"a\":1,}", "{\"a\" 1}", "{} {}", "\u{FEFF}{}", "{'a':1}",
            "{\"a\":\"\u{01}\"}", "{\"a\":01}", "{\"a\":tru}", "{\"a\":\"\\x\"}", "{\"a\":\"\\ud800\"}",
        ] {
            #expect(F.verdict(Array(body.utf8), .rowBatch) == "invalid_json", "\(body.debugDescription)")
        }
        #expect(F.verdict([0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D], .rowBatch) == "invalid_json")
    }

    @Test func tenantFields() {
        for field in ["device_id", "org_id", "project_id", "fleet_id"] {
            var object = F.rowBatch()
            object[field] = .string("x")
            object["format_version"] = .string("bad")  // later checks must not win
            #expect(F.verdict(object, .rowBatch) == "envelope_unstripped_tenant_fields")
            #expect(
                F.verdict(
                    {
                        var ack = F.ack()
                        ack[field] = .null
                        return ack
                    }(),
                    .ingestAck
                ) == "envelope_unstripped_tenant_fields"
            )
        }
    }

    @Test func formatVersion() {
        for value: JSONValue? in [nil, .integer(0), .integer(-1), .string("1"), .double(1.5), .bool(true), .null] {
            var object = F.rowBatch()
            object["format_version"] = value
            #expect(F.verdict(object, .rowBatch) == "invalid_format_version", "\(String(describing: value))")
        }
        // 1.0 is a number but not an integer literal.
        let spelled = String(decoding: F.bytes(F.rowBatch()), as: UTF8.self).replacingOccurrences(
            of: "\"format_version\":1",
            with: "\"format_version\":1.0"
        )
        #expect(F.verdict(Array(spelled.utf8), .rowBatch) == "invalid_format_version")
        var object = F.telemetryBatch()
        object["format_version"] = .integer(2)
        object["capture_strategy"] = .string("nope")
        #expect(F.verdict(object, .telemetryBatch) == "unsupported_format_version")
    }

    @Test func captureStrategyMustMatchTopic() {
        #expect(F.verdict(F.rowBatch(), .telemetryBatch) == "invalid_capture_strategy")
        #expect(F.verdict(F.telemetryBatch(), .rowBatch) == "invalid_capture_strategy")
        var object = F.rowBatch()
        object["capture_strategy"] = nil
        #expect(F.verdict(object, .rowBatch) == "invalid_capture_strategy")
    }

    @Test func batchID() {
        for value: JSONValue? in [
            nil, .string("3b241101-e2bb-4255-8caf-4136c566a962"), .string("01936f2e-5c3a-7b21-1c4d-2f1e8a7b6c5d"),
            .string("01936f2e5c3a7b219c4d2f1e8a7b6c5d"), .string(""), .integer(7),
        ] {
            var object = F.rowBatch()
            object["batch_id"] = value
            object["source_table"] = .string("")  // a later check must not win
            #expect(F.verdict(object, .rowBatch) == "invalid_batch_id", "\(String(describing: value))")
        }
        var request = F.finalize()
        request["batch_id"] = .string("nope")
        #expect(F.verdict(request, .ingestRequest) == "invalid_batch_id")
    }

    @Test func sourceTable() {
        for value: JSONValue? in [
            nil, .string(""), .string(String(repeating: "t", count: 129)), .string("a\u{0}b"), .integer(3),
        ] {
            var object = F.rowBatch()
            object["source_table"] = value
            object["schema_hash"] = .string("bad")
            #expect(F.verdict(object, .rowBatch) == "invalid_source_table")
        }
        var object = F.rowBatch()
        object["source_table"] = .string(String(repeating: "é", count: 64))  // 128 bytes: allowed
        object["schema_columns"] = nil
        #expect(F.verdict(object, .rowBatch) == "ok")
    }

    @Test func schemaHash() {
        for value: JSONValue? in [
            nil, .string(String(repeating: "A", count: 64)), .string(String(repeating: "a", count: 63)),
            .string(String(repeating: "g", count: 64)),
        ] {
            var object = F.rowBatch()
            object["schema_hash"] = value
            #expect(F.verdict(object, .rowBatch) == "invalid_schema_hash")
            var observation = F.observation()
            observation["schema_hash"] = value
            #expect(F.verdict(observation, .schemaObservation) == "invalid_schema_hash")
        }
    }

    @Test func tooManyRows() {
        var object = F.telemetryBatch()
        let row = object["rows"]!.arrayValue![0]
        object["rows"] = .array(Array(repeating: row, count: WireLimits.maximumRowsPerBatch + 1))
        object["row_count"] = .string("wrong too")
        #expect(F.verdict(object, .telemetryBatch) == "batch_too_many_rows")
        object["rows"] = .array(Array(repeating: row, count: WireLimits.maximumRowsPerBatch))
        object["row_count"] = .integer(Int64(WireLimits.maximumRowsPerBatch))
        object["cursor_end_ts"] = .string("2026-04-28T09:00:01Z")
        #expect(F.verdict(object, .telemetryBatch) == "ok")
    }

    @Test func journalEpoch() {
        var object = F.rowBatch()
        object["journal_epoch"] = .string("3b241101-e2bb-4255-8caf-4136c566a962")
        object = F.settingRow(object, 0, "op", .string("upsert"))
        #expect(F.verdict(object, .rowBatch) == "invalid_journal_epoch")
    }

    @Test func rowChecksRunInSpecOrder() {
        // An unknown op in row 2 beats a missing row in row 1: each check runs over all rows.
        var object = F.settingRow(F.rowBatch(), 0, "row", .null)
        object = F.settingRow(object, 1, "op", .string("merge"))
        #expect(F.verdict(object, .rowBatch) == "invalid_row_op")
        object = F.settingRow(object, 1, "op", .string("delete"))
        #expect(F.verdict(object, .rowBatch) == "missing_row_for_upsert")
        #expect(F.verdict(F.settingRow(F.rowBatch(), 0, "row", nil), .rowBatch) == "missing_row_for_upsert")
        #expect(F.verdict(F.settingRow(F.rowBatch(), 1, "op", nil), .rowBatch) == "invalid_row_op")
        var range = F.rowBatch()
        range["last_commit_seq"] = .integer(103)
        #expect(F.verdict(range, .rowBatch) == "commit_seq_range_mismatch")
        range["last_commit_seq"] = nil
        #expect(F.verdict(range, .rowBatch) == "commit_seq_range_mismatch")
        var hash = F.rowBatch()
        hash["schema_hash"] = .string(String(repeating: "0", count: 64))
        #expect(F.verdict(hash, .rowBatch) == "schema_hash_mismatch")
    }

    @Test func structuralProblemsAreInvalidPayload() {
        #expect(F.verdict(F.settingRow(F.rowBatch(), 0, "pk", .object([:])), .rowBatch) == "invalid_payload")
        #expect(F.verdict(F.settingRow(F.rowBatch(), 0, "commit_seq", .string("101")), .rowBatch) == "invalid_payload")
        #expect(F.verdict(F.settingRow(F.rowBatch(), 0, "row", .string("x")), .rowBatch) == "invalid_payload")
        #expect(F.verdict(F.settingRow(F.rowBatch(), 0, "lkcv", .double(1.5)), .rowBatch) == "invalid_payload")
        var empty = F.rowBatch()
        empty["rows"] = .array([])
        #expect(F.verdict(empty, .rowBatch) == "invalid_payload")
        var badColumns = F.rowBatch()
        badColumns["schema_columns"] = .object([
            "table_name": .string("device_state"), "columns": .array([.object(["name": .string("id")])]),
        ])
        #expect(F.verdict(badColumns, .rowBatch) == "invalid_payload")
        var ack = F.ack()
        ack["control_id"] = .string("")
        #expect(F.verdict(ack, .ingestAck) == "invalid_payload")
        var request = F.finalize()
        request["segment_kind"] = .string("everything")
        #expect(F.verdict(request, .ingestRequest) == "invalid_payload")
    }

    @Test func telemetryChecks() {
        var count = F.telemetryBatch()
        count["row_count"] = .integer(3)
        count = F.settingRow(count, 0, "row_id", .string(""))
        #expect(F.verdict(count, .telemetryBatch) == "row_count_mismatch")
        for value: JSONValue in [.string(""), .string(String(repeating: "r", count: 129)), .integer(7)] {
            var object = F.settingRow(F.telemetryBatch(), 0, "row_id", value)
            object["cursor_end_ts"] = .string("2030-01-01T00:00:00Z")
            #expect(F.verdict(object, .telemetryBatch) == "invalid_row_id")
        }
        #expect(
            F.verdict(
                F.settingRow(F.telemetryBatch(), 0, "row_id", .string(String(repeating: "é", count: 128))),
                .telemetryBatch
            ) == "ok"
        )
        var cursor = F.telemetryBatch()
        cursor["cursor_start_ts"] = .string("2026-04-28T09:00:01.000000001Z")
        #expect(F.verdict(cursor, .telemetryBatch) == "cursor_timestamp_mismatch")
        cursor["cursor_start_ts"] = .string("yesterday")
        #expect(F.verdict(cursor, .telemetryBatch) == "invalid_timestamp")
        #expect(
            F.verdict(F.settingRow(F.telemetryBatch(), 1, "ts", .string("2026-02-30T00:00:00Z")), .telemetryBatch)
                == "invalid_timestamp"
        )
        #expect(
            F.verdict(F.settingRow(F.telemetryBatch(), 1, "fields", .array([])), .telemetryBatch) == "invalid_payload"
        )
        var seq = F.telemetryBatch()
        seq["batch_seq"] = .integer(-1)
        #expect(F.verdict(seq, .telemetryBatch) == "invalid_payload")
    }

    @Test func rejectionsCarryWhateverIdentityTheyCan() {
        var object = F.rowBatch()
        object["journal_epoch"] = .string("nope")
        guard case .failure(let rejection) = PayloadValidator().validate(F.bytes(object), topic: .rowBatch) else {
            Issue.record("accepted")
            return
        }
        #expect(rejection.batchID == F.batchID)
        #expect(rejection.sourceTable == "device_state")
        #expect(rejection.message.contains("journal_epoch"))
    }
}

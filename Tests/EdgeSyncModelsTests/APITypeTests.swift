import EdgeSyncModels
import Foundation
import Testing

@Suite("API types")
struct APITypeTests {
    let now = Timestamp(rfc3339: "2026-11-25T03:00:00Z")!

    @Test func lineageUsesSnakeCaseKeysAndRoundTrips() throws {
        let lineage = Lineage(
            id: "l1",
            projectID: "p1",
            deviceID: "d1",
            deviceName: "pump-7",
            fleetID: "f1",
            sourceTable: "device_state",
            strategy: .rows,
            status: .paused,
            pauseReason: .schemaReview,
            stagedRowCount: 3,
            lastCommitSeq: 103,
            createdAt: now,
            updatedAt: now
        )
        let bytes = try JSONEncoderForTests.encode(ResourceEnvelope(lineage))
        let text = String(decoding: bytes, as: UTF8.self)
        for key in [
            "\"device_name\":\"pump-7\"", "\"pause_reason\":\"schema_review\"", "\"staged_row_count\":3",
            "\"sync_authority\":\"device_authoritative\"", "\"created_at\":\"2026-11-25T03:00:00Z\"",
        ] {
            #expect(text.contains(key), "\(key)")
        }
        let decoded = try JSONEncoderForTests.decode(ResourceEnvelope<Lineage>.self, bytes)
        #expect(decoded.data == lineage)
        #expect(decoded.data.serverWatermark == 103)
    }

    @Test func errorEnvelopeMatchesTheSpec() throws {
        let error = APIError(.actionVersionConflict, "review changed", details: ["current_action_version": .integer(4)])
        let text = String(decoding: try JSONEncoderForTests.encode(APIErrorEnvelope(error)), as: UTF8.self)
        #expect(
            text
                == #"{"error":{"code":"action_version_conflict","details":{"current_action_version":4},"message":"review changed"}}"#
        )
        #expect(APIErrorCode.actionVersionConflict.httpStatus == 409)
        #expect(APIErrorCode.unknownColumn.httpStatus == 422)
        #expect(APIErrorCode.idempotencyKeyRequired.httpStatus == 400)
        #expect(APIErrorCode.edgeStateNotCloudAuthoritative.httpStatus == 403)
        #expect(APIErrorCode.edgeStateMirrorNotProvisioned.httpStatus == 404)
    }

    @Test func pageRequestEnforcesTheRange() throws {
        #expect(try PageRequest(page: nil, limit: nil) == PageRequest(page: 1, limit: 50))
        #expect(try PageRequest(page: "3", limit: "500").offset == 1000)
        for (page, limit) in [("0", "10"), ("x", "10"), ("1", "0"), ("1", "501")] {
            #expect(throws: APIError.self) { try PageRequest(page: page, limit: limit) }
        }
        #expect(PageMeta(page: 1, limit: 50, total: 101).pageCount == 3)
    }

    @Test func approveBodyDecodesTheSpecExample() throws {
        let body = #"""
            {"action_version": 3, "sync_authority": "device_authoritative", "column_actions": [
              {"source_column_name": "id", "action": "mirror", "mirror_column_name": "id"},
              {"source_column_name": "mode", "action": "mirror"},
              {"source_column_name": "raw", "action": "ignore"},
              {"source_column_name": "temp_c", "action": "map", "device_data_point_id": "dp-1"}]}
            """#
        let request = try JSONEncoderForTests.decode(ApproveReviewRequest.self, Array(body.utf8))
        #expect(request.actionVersion == 3)
        #expect(request.columnActions.map(\.action) == [.mirror, .mirror, .ignore, .map])
        #expect(request.columnActions[1].effectiveMirrorColumnName == "mode")
        #expect(request.columnActions[3].deviceDataPointID == "dp-1")
    }

    @Test func policyDefaultsPatchAndProblems() {
        #expect(Policy.defaults.maxPendingRowsPerLineage == 100_000)
        #expect(Policy.defaults.maxPendingBytesPerLineage == 1_073_741_824)
        #expect(Policy.defaults.resumeThresholdPercent == 80)
        #expect(Policy.defaults.problems.isEmpty)
        let patched = Policy.defaults.applying(PolicyPatch(allowAdditiveContinue: true, resumeThresholdPercent: 120))
        #expect(patched.allowAdditiveContinue)
        #expect(patched.schemaCoalescingMode == .perDevice)
        #expect(patched.problems == ["resume_threshold_percent must be 1–99"])
    }

    @Test func controlsEncodeFlatAndDecodeBack() throws {
        let controls = [
            DownlinkControl(
                controlID: "c1",
                payload: .pauseLineage(sourceTable: "t", serverWatermark: 9, reason: "backpressure")
            ),
            DownlinkControl(controlID: "c2", payload: .resumeLineage(sourceTable: "t", serverWatermark: 9)),
            DownlinkControl(
                controlID: "c3",
                payload: .urlGrant(
                    UploadGrant(
                        sourceTable: "t",
                        presignedURL: "http://127.0.0.1/u",
                        expiresAt: now,
                        batchID: UUIDv7("01936f2e-5c3a-7b21-9c4d-2f1e8a7b6c5d")!,
                        segmentKind: .bootstrapSnapshot
                    )
                )
            ),
            DownlinkControl(
                controlID: "c4",
                payload: .stateWrite(
                    sourceTable: "t",
                    rows: [
                        StateWriteRow(pk: ["id": .integer(1)], values: ["mode": .string("eco")], cloudVersion: 2)
                    ]
                )
            ),
            DownlinkControl(
                controlID: "c5",
                payload: .batchRejected(sourceTable: "t", batchID: "junk", reason: .invalidBatchID, message: "m")
            ),
        ]
        for control in controls {
            let bytes = try JSONEncoderForTests.encode(control)
            #expect(try JSONEncoderForTests.decode(DownlinkControl.self, bytes) == control)
            let object = try #require(try JSONParser().parse(bytes).objectValue)
            #expect(object["control_kind"]?.stringValue == control.kind.rawValue)
        }
        let paused = try JSONParser().parse(try JSONEncoderForTests.encode(controls[0])).objectValue
        #expect(paused?["server_watermark"] == .integer(9))
    }

    @Test func wireTypesEncodeToPayloadsTheValidatorAccepts() throws {
        let fingerprint = PayloadFixtures.fingerprint
        let batch = RowBatch(
            batchID: UUIDv7Generator.shared.next(),
            journalEpoch: UUIDv7Generator.shared.next(),
            sourceTable: "device_state",
            schemaHash: fingerprint.schemaHash,
            schemaColumns: fingerprint,
            rows: [
                RowChange(commitSeq: 5, op: .insert, pk: ["id": .integer(1)], row: ["id": .integer(1)]),
                RowChange(commitSeq: 6, op: .delete, pk: ["id": .integer(1)], row: nil),
            ]
        )
        let bytes = try JSONEncoderForTests.encode(batch)
        guard case .success(.rowBatch(let decoded)) = PayloadValidator().validate(bytes, topic: .rowBatch) else {
            Issue.record("rejected: \(String(decoding: bytes, as: UTF8.self))")
            return
        }
        #expect(decoded == batch)
        let telemetry = TelemetryBatch(
            batchID: UUIDv7Generator.shared.next(),
            batchSeq: 1,
            sourceTable: "temps",
            schemaHash: fingerprint.schemaHash,
            rows: [TelemetryRow(ts: now, rowID: "1", fields: ["v": .double(1.5)])]
        )
        let telemetryBytes = try JSONEncoderForTests.encode(telemetry)
        #expect(PayloadFixtures.verdict(telemetryBytes, .telemetryBatch) == "ok")
        let request = IngestRequest.finalize(
            sourceTable: "t",
            batchID: UUIDv7Generator.shared.next(),
            segmentKind: .payloadSpill
        )
        #expect(PayloadFixtures.verdict(try JSONEncoderForTests.encode(request), .ingestRequest) == "ok")
        #expect(try JSONEncoderForTests.decode(IngestRequest.self, try JSONEncoderForTests.encode(request)) == request)
    }
}

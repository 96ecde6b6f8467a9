import EdgeSyncModels
import Foundation

/// `sync/ingest/request`: a `url_request` gets a signed `url_grant`; a `finalize` ingests the
/// PUT object (zstd JSONL, one row-batch row per line) through the row-batch path, in batches
/// within the protocol's limits, so validation and per-row dedup are the same. A finalize
/// repeated after a crash re-reads the kept object; dedup makes that harmless.
struct UploadIngest {
    let pipeline: IngestPipeline
    let desk: UploadDesk

    /// Rows per derived batch, and their JSON bytes: kept under the wire limits with room for the envelope.
    static let batchRows = WireLimits.maximumRowsPerBatch
    static let batchBytes = WireLimits.maximumPayloadBytes - 8_192

    func handle(
        _ request: IngestRequest,
        device: DeviceIdentity,
        bytes: Int,
        receivedAt: Timestamp
    ) async throws -> IngestResult {
        switch request {
        case .urlRequest(let table, let segment):
            let id = UUIDv7Generator.shared.next()
            let expires = receivedAt.seconds + desk.limits.grantLifetime.components.seconds
            guard let url = desk.url(uploadID: id.description, expires: expires) else {
                return IngestResult(outcome: nil)
            }
            let grant = UploadGrant(
                sourceTable: table,
                presignedURL: url,
                expiresAt: Timestamp(seconds: expires),
                batchID: id,
                segmentKind: segment
            )
            guard
                let control = try await pipeline.store.grantUpload(
                    grant,
                    device: device,
                    maximumOpen: desk.limits.maximumOpenGrantsPerDevice,
                    now: receivedAt
                )
            else {
                return try await reject(
                    rejection(
                        "url_request: the device already holds \(desk.limits.maximumOpenGrantsPerDevice) open upload grants; "
                            + "finalize one or let it expire",
                        batchID: nil,
                        table: table
                    ),
                    device: device,
                    bytes: bytes,
                    receivedAt: receivedAt
                )
            }
            return IngestResult(outcome: nil, controls: [control])
        case .finalize(let table, let batchID, _, let header):
            let reject = { (message: String) async throws -> IngestResult in
                try await self.reject(
                    rejection(message, batchID: batchID.description, table: table),
                    device: device,
                    bytes: bytes,
                    receivedAt: receivedAt
                )
            }
            guard let record = try await pipeline.store.upload(id: batchID.description), record.deviceID == device.id,
                record.sourceTable == table
            else {
                return try await reject("finalize: no upload \(batchID) of \(table) was granted to this device")
            }
            if record.state == .finalized { return IngestResult(outcome: nil) }
            guard record.state == .received, try await desk.objects.exists(record.id) else {
                return try await reject("finalize: nothing was PUT to upload \(batchID)")
            }
            guard let header else {
                return try await reject(
                    "finalize needs journal_epoch and schema_hash (ext) to ingest the object's rows"
                )
            }
            // Read twice, a row at a time: first to refuse a malformed object before any of its
            // rows is staged, then to ingest it in batches.
            let object = UploadObjectReader(
                objects: desk.objects,
                id: record.id,
                maximumBytes: desk.limits.maximumObjectBytes
            )
            do {
                try await object.forEachRow { _ in }
            } catch {
                return try await reject("upload \(batchID): \(error)")
            }
            var result = IngestResult(outcome: nil)
            func ingest(_ rows: [JSONObject], last: Bool) async throws {
                // The snapshot's end rides on the last batch: it follows every row before it.
                let part = try await pipeline.ingest(
                    device: device,
                    topic: .rowBatch,
                    payload: Self.rowBatch(rows, table: table, header: header, last: last),
                    receivedAt: receivedAt
                )
                result.outcome = part.outcome
                result.lineageID = part.lineageID ?? result.lineageID
                result.stagedRows += part.stagedRows
                result.controls += part.controls
            }
            var chunk: [JSONObject] = []
            var full: [JSONObject]?
            var size = 0
            try await object.forEachRow { row in
                let length = CanonicalJSON.bytes(of: .object(row)).count + 1
                if !chunk.isEmpty, chunk.count == Self.batchRows || size + length > Self.batchBytes {
                    if let full { try await ingest(full, last: false) }
                    (full, chunk, size) = (chunk, [], 0)
                }
                chunk.append(row)
                size += length
            }
            if let full { try await ingest(full, last: chunk.isEmpty) }
            if !chunk.isEmpty { try await ingest(chunk, last: true) }
            try await pipeline.store.setUploadState(id: record.id, .finalized, bytes: nil, now: receivedAt)
            await desk.objects.remove(record.id)
            return result
        }
    }

    func rejection(_ message: String, batchID: String?, table: String) -> PayloadRejection {
        PayloadRejection(code: .invalidPayload, message: message, batchID: batchID, sourceTable: table)
    }

    /// Records a refused request like any rejected uplink (ledger, kept payload, batch_rejected).
    func reject(
        _ rejection: PayloadRejection,
        device: DeviceIdentity,
        bytes: Int,
        receivedAt: Timestamp
    ) async throws -> IngestResult {
        try await pipeline.store.commit(
            IngestPlan(
                device: device,
                receivedAt: receivedAt,
                topic: .ingestRequest,
                bytes: bytes,
                content: .rejection(rejection)
            )
        )
    }

    static func rowBatch(_ rows: [JSONObject], table: String, header: UploadHeader, last: Bool) -> [UInt8] {
        let seqs = rows.compactMap { $0["commit_seq"]?.integerValue }
        var batch: JSONObject = [
            "format_version": .integer(1), "capture_strategy": .string("sqlite_row_batch_v1"),
            "batch_id": .string(UUIDv7Generator.shared.next().description),
            "journal_epoch": .string(header.journalEpoch.description),
            "source_table": .string(table), "schema_hash": .string(header.schemaHash),
            "first_commit_seq": .integer(seqs.min() ?? 0), "last_commit_seq": .integer(seqs.max() ?? 0),
            "rows": .array(rows.map(JSONValue.object)),
        ]
        if let columns = header.schemaColumns { batch["schema_columns"] = columns.jsonValue }
        if last, let through = header.snapshotThrough { batch["snapshot_through_commit_seq"] = .integer(through) }
        return CanonicalJSON.bytes(of: .object(batch))
    }
}

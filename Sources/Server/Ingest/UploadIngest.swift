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
            let expires = receivedAt.seconds + UploadDesk.lifetime
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
            return IngestResult(
                outcome: nil,
                controls: [try await pipeline.store.grantUpload(grant, device: device, now: receivedAt)]
            )
        case .finalize(let table, let batchID, _, let header):
            let reject = { (message: String) async throws -> IngestResult in
                let rejection = PayloadRejection(
                    code: .invalidPayload,
                    message: message,
                    batchID: batchID.description,
                    sourceTable: table
                )
                return try await pipeline.store.commit(
                    IngestPlan(
                        device: device,
                        receivedAt: receivedAt,
                        topic: .ingestRequest,
                        bytes: bytes,
                        content: .rejection(rejection)
                    )
                )
            }
            guard let record = try await pipeline.store.upload(id: batchID.description), record.deviceID == device.id,
                record.sourceTable == table
            else {
                return try await reject("finalize: no upload \(batchID) of \(table) was granted to this device")
            }
            if record.state == .finalized { return IngestResult(outcome: nil) }
            guard record.state == .received, let object = try? Data(contentsOf: desk.objectPath(record.id)) else {
                return try await reject("finalize: nothing was PUT to upload \(batchID)")
            }
            guard let header else {
                return try await reject(
                    "finalize needs journal_epoch and schema_hash (ext) to ingest the object's rows"
                )
            }
            let lines: [JSONObject]
            do {
                lines = try Self.rows(Array(try Zstd.decompress(Array(object), limit: UploadDesk.maximumBytes)))
            } catch {
                return try await reject("upload \(batchID): \(error)")
            }
            var result = IngestResult(outcome: nil)
            let chunks = Self.chunks(lines)
            for (index, chunk) in chunks.enumerated() {
                // The snapshot's end rides on the last batch: it follows every row before it.
                let batch = Self.rowBatch(chunk, table: table, header: header, last: index == chunks.count - 1)
                let part = try await pipeline.ingest(
                    device: device,
                    topic: .rowBatch,
                    payload: batch,
                    receivedAt: receivedAt
                )
                result.outcome = part.outcome
                result.lineageID = part.lineageID ?? result.lineageID
                result.stagedRows += part.stagedRows
                result.controls += part.controls
            }
            try await pipeline.store.setUploadState(id: record.id, .finalized, bytes: nil, now: receivedAt)
            try? FileManager.default.removeItem(at: desk.objectPath(record.id))
            return result
        }
    }

    struct ObjectError: Error, CustomStringConvertible {
        var description: String
    }

    /// One JSON object per non-empty line.
    static func rows(_ bytes: [UInt8]) throws -> [JSONObject] {
        try bytes.split(separator: UInt8(ascii: "\n")).enumerated().map { index, line in
            guard let object = try JSONParser().parse(Array(line)).objectValue else {
                throw ObjectError(description: "line \(index + 1) is not a JSON object")
            }
            return object
        }
    }

    static func chunks(_ rows: [JSONObject]) -> [[JSONObject]] {
        var chunks: [[JSONObject]] = []
        var current: [JSONObject] = []
        var size = 0
        for row in rows {
            let length = CanonicalJSON.bytes(of: .object(row)).count + 1
            if !current.isEmpty, current.count == batchRows || size + length > batchBytes {
                chunks.append(current)
                current = []
                size = 0
            }
            current.append(row)
            size += length
        }
        if !current.isEmpty { chunks.append(current) }
        return chunks
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

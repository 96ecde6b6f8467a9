import EdgeSyncModels
import NIOCore
import NIOSSL

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#endif

/// Large backlogs (a bootstrap snapshot, or a journal that grew while offline or paused) go
/// through the upload flow instead of MQTT batches: `url_request` → `url_grant` → HTTP PUT of
/// zstd JSONL → `finalize`, whose PUBACK means the server ingested every row. The object is
/// written to a file a chunk at a time and streamed from it, so memory stays bounded.
extension EdgeAgent {
    /// A grant that is not used within this time is asked for again.
    static let grantWait: Int64 = 30

    /// Moves the table's backlog by upload when it is estimated above `snapshot_inline_limit`, or
    /// when one of its rows is too large for any batch. False when the table keeps using MQTT.
    func spillIfLarge(_ table: CapturedTable, _ source: SourceTable, _ progress: TableProgress) async throws -> Bool {
        let cursor = progress.cursor(in: table.epoch)
        var existing = try await state.spill(table.name)
        if let stale = existing, stale.epoch != table.epoch {
            if let path = stale.objectPath { unlink(path) }
            try await state.dropSpill(table.name)
            existing = nil
        }
        if existing == nil, !uploadOnly.contains(table.name) {
            let pending = try await journalEntries(table, after: cursor)
            guard Int64(pending) * Int64(rowBytes[table.name] ?? 256) > configuration.snapshotInlineLimit else {
                return false
            }
        }
        let now = Timestamp.now.seconds
        guard var spill = existing, let uploadID = spill.batchID.flatMap(UUIDv7.init), let url = spill.url,
            (spill.expiresAt ?? 0) > now || spill.lastSeq != nil
        else {
            if existing == nil || now - (existing?.requestedAt ?? 0) > Self.grantWait {
                let segment: SegmentKind = cursor == 0 ? .bootstrapSnapshot : .payloadSpill
                try await state.saveSpill(
                    SpillUpload(table: table.name, epoch: table.epoch, segmentKind: segment, requestedAt: now)
                )
                let request = try JSONEncoder().encode(
                    IngestRequest.urlRequest(sourceTable: table.name, segmentKind: segment)
                )
                try await client.publish(
                    topic: root + "/" + UplinkTopic.ingestRequest.rawValue,
                    payload: ByteBuffer(bytes: request)
                )
                try await report(
                    table.name,
                    "upload_requested",
                    "backlog too large for MQTT batches; asked for an upload URL"
                )
            }
            return true
        }
        if spill.lastSeq == nil || spill.objectPath.map({ FileIdentity(path: $0) == nil }) != false {
            let path =
                configuration.resolvedStatePath.map { "\($0).upload-\(table.id).zst" }
                ?? "/tmp/edge-agent-\(table.id).zst"
            guard let (last, rows) = try await writeSpillObject(table, after: cursor, to: path) else {
                try await state.dropSpill(table.name)
                uploadOnly.remove(table.name)
                return false
            }
            spill.objectPath = path
            spill.lastSeq = last
            try await state.saveSpill(spill)
            uploadRows[table.name] = rows
        }
        guard let path = spill.objectPath, let lastSeq = spill.lastSeq, let epoch = UUIDv7(table.epoch) else {
            return false
        }
        let tls = try configuration.tlsConfiguration()
        let status = try await HTTPUpload(tls: tls).put(file: path, to: url, contentType: "application/zstd")
        // A 409: an earlier attempt's PUT arrived before a crash; the object is there.
        guard status == 201 || status == 409 else {
            throw HTTPUpload.Failure(description: "PUT \(url.prefix { $0 != "?" }) answered \(status)")
        }
        let fingerprint = tables[table.name]?.fingerprint ?? source.fingerprint
        var header = UploadHeader(journalEpoch: epoch, schemaHash: fingerprint.schemaHash, schemaColumns: fingerprint)
        if let through = table.snapshotThrough, lastSeq >= through { header.snapshotThrough = through }
        let finalize = try JSONEncoder().encode(
            IngestRequest.finalize(
                sourceTable: table.name,
                batchID: uploadID,
                segmentKind: spill.segmentKind,
                header: header
            )
        )
        try await client.publish(
            topic: root + "/" + UplinkTopic.ingestRequest.rawValue,
            payload: ByteBuffer(bytes: finalize)
        )
        try await state.completeSpill(spill, schemaHash: fingerprint.schemaHash)
        try await forgetJournal(table, through: lastSeq)
        unlink(path)
        uploadOnly.remove(table.name)
        publishedRows += uploadRows.removeValue(forKey: table.name) ?? 0
        try await report(table.name, "upload_finished", "uploaded the backlog through commit_seq \(lastSeq)")
        return true
    }

    /// Writes the journal's entries after `cursor` (through the highest now) as zstd JSONL, one
    /// row-batch row per line, a batch's worth of rows at a time; returns the last seq covered and
    /// the rows written, nil when there was nothing to upload.
    func writeSpillObject(
        _ table: CapturedTable,
        after cursor: Int64,
        to path: String
    ) async throws -> (lastSeq: Int64, rows: Int)? {
        let through = cursor + Int64(try await journalEntries(table, after: cursor))
        let lkcv = try await state.cloudVersions(table: table.name)
        let file = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard file >= 0 else { throw HTTPUpload.Failure(description: "cannot create \(path): errno \(errno)") }
        defer { close(file) }
        let compressor = try ZstdCompressor()
        var position = cursor
        var lines = 0
        func write(_ bytes: [UInt8]) throws {
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { Glibc.write(file, $0.baseAddress, $0.count) }
                guard written > 0 else { throw HTTPUpload.Failure(description: "cannot write \(path): errno \(errno)") }
                offset += written
            }
        }
        while position < through,
            let read = try await readRows(table, after: position, limit: BatchBuilder.maximumRows),
            let consumed = read.consumedThrough
        {
            var text: [UInt8] = []
            for entry in read.entries where entry.seq <= through {
                text += Array(#"{"commit_seq":\#(entry.seq),"op":"\#(entry.op)","pk":"#.utf8) + entry.pk
                text += Array(#","row":"#.utf8) + (entry.row ?? Array("null".utf8))
                if !lkcv.isEmpty, let version = lkcv[BatchBuilder.canonicalKey(entry.pk)] {
                    text += Array(#","lkcv":\#(version)"#.utf8)
                }
                text += Array("}\n".utf8)
                lines += 1
            }
            try write(try compressor.compress(text))
            position = consumed
        }
        try write(try compressor.finish())
        guard fsync(file) == 0 else { throw HTTPUpload.Failure(description: "cannot sync \(path): errno \(errno)") }
        guard lines > 0 else { return nil }
        return (min(position, through), lines)
    }
}

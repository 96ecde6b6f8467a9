import EdgeSyncModels
import Foundation
import GRDB
import NIOCore

/// Large backlogs (a bootstrap snapshot, or a journal that grew while offline or paused) go
/// through the upload flow instead of MQTT batches: `url_request` → `url_grant` → HTTP PUT of
/// zstd JSONL → `finalize`, whose PUBACK means the server ingested every row.
extension EdgeAgent {
    /// A grant that is not used within this time is asked for again.
    static let grantWait: Int64 = 30
    /// Summing a journal is O(backlog): a table well under the limit is summed again only
    /// after this long, not before every batch.
    static let backlogCheckInterval: Duration = .seconds(10)

    /// Moves the table's backlog by upload when it exceeds `snapshot_inline_limit`. Returns
    /// false when the table should keep using MQTT batches.
    func spillIfLarge(_ table: SourceTable, _ progress: TableProgress) async throws -> Bool {
        let existing = try state.spill(table.name)
        if existing == nil {
            if let last = backlogChecks[table.name], ContinuousClock.now - last.at < Self.backlogCheckInterval,
                last.bytes < configuration.snapshotInlineLimit / 2
            {
                return false
            }
            let backlog = try await source.read {
                try CaptureSchema.pending($0, table: table.name, after: progress.lastAckedSeq)
            }
            backlogChecks[table.name] = (.now, backlog.bytes)
            guard backlog.bytes > configuration.snapshotInlineLimit else { return false }
        }
        let now = Int64(Date().timeIntervalSince1970)
        guard var spill = existing, let batchID = spill.batchID, let url = spill.url,
            (spill.expiresAt ?? 0) > now || spill.lastSeq != nil
        else {
            if existing == nil || now - (existing?.requestedAt ?? 0) > Self.grantWait {
                let segment: SegmentKind = progress.lastAckedSeq == 0 ? .bootstrapSnapshot : .payloadSpill
                try state.saveSpill(.init(table: table.name, segmentKind: segment, requestedAt: now))
                let request = try JSONEncoder().encode(
                    IngestRequest.urlRequest(sourceTable: table.name, segmentKind: segment)
                )
                try await client.publish(
                    topic: root + "/" + UplinkTopic.ingestRequest.rawValue,
                    payload: ByteBuffer(bytes: request)
                )
                log("\(table.name): backlog over \(configuration.snapshotInlineLimit) bytes; asked for an upload URL")
            }
            return true
        }
        let (object, rows, lastSeq, epoch) = try spillObject(
            table,
            after: progress.lastAckedSeq,
            through: spill.lastSeq
        )
        guard let lastSeq, let epoch = epoch.flatMap(UUIDv7.init), let uploadID = UUIDv7(batchID) else { return false }
        spill.lastSeq = lastSeq
        try state.saveSpill(spill)
        try await put(object, to: url)
        let header = UploadHeader(
            journalEpoch: epoch,
            schemaHash: table.fingerprint.schemaHash,
            schemaColumns: table.fingerprint
        )
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
        try state.completeSpill(spill, schemaHash: table.fingerprint.schemaHash)
        try forgetJournal(table: table.name, through: lastSeq)
        publishedRows += rows
        try state.report(
            table: table.name,
            "uploaded the backlog through commit_seq \(lastSeq) (\(object.count) bytes zstd)"
        )
        return true
    }

    /// The zstd JSONL of the journal rows after `cursor` (through `last` when an earlier attempt
    /// fixed it), one row-batch row per line.
    func spillObject(
        _ table: SourceTable,
        after cursor: Int64,
        through last: Int64?
    ) throws -> ([UInt8], Int, Int64?, String?) {
        let lkcv = try state.cloudVersions(table: table.name)
        let (entries, epoch) = try source.read { db -> ([JournalEntry], String?) in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT commit_seq, op, pk, row FROM "\(CaptureSchema.journal)" WHERE table_name = ? AND commit_seq > ? AND commit_seq <= ? ORDER BY commit_seq
                    """,
                arguments: [table.name, cursor, last ?? Int64.max]
            )
            return (
                rows.map { JournalEntry(seq: $0["commit_seq"], op: $0["op"], pk: $0["pk"], row: $0["row"]) },
                try String.fetchOne(
                    db,
                    sql: "SELECT journal_epoch FROM \"\(CaptureSchema.meta)\" WHERE table_name = ?",
                    arguments: [table.name]
                )
            )
        }
        var text = ""
        for entry in entries {
            text += #"{"commit_seq":\#(entry.seq),"op":"\#(entry.op)","pk":\#(entry.pk),"row":\#(entry.row ?? "null")"#
            if !lkcv.isEmpty, let version = lkcv[BatchBuilder.canonicalKey(entry.pk)] {
                text += #","lkcv":\#(version)"#
            }
            text += "}\n"
        }
        return (try Zstd.compress(Array(text.utf8)), entries.count, entries.last?.seq, epoch)
    }

    /// HTTP PUT of the object through libcurl. A 409 means an earlier attempt's PUT arrived
    /// before a crash: the object is there.
    func put(_ object: [UInt8], to url: String) async throws {
        let status = try await CurlUpload.put(object, to: url, contentType: "application/zstd")
        guard status == 201 || status == 409 else {
            throw UploadFailure(description: "PUT \(url.prefix { $0 != "?" }) answered \(status)")
        }
    }

    struct UploadFailure: Error, CustomStringConvertible {
        var description: String
    }
}

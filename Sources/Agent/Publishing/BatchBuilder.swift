import EdgeSyncModels

/// A batch's bytes and what it covers.
struct BuiltBatch: Sendable, Hashable {
    var body: [UInt8]
    var count: Int
    var batchID: String
    /// The journal seq the cursor reaches once the batch is acknowledged: its last entry, or the
    /// last one read when every entry read fit (entries whose rows were gone are covered too).
    var coveredThrough: Int64
    /// The batch is as large as a batch gets: entries it had in hand did not fit, or it holds
    /// the most rows a batch may.
    var full: Bool
}

extension BuiltBatch {
    /// A batch of `count` of the `available` entries the builder had in hand.
    init(body: [UInt8], count: Int, of available: Int, batchID: String, coveredThrough: Int64) {
        self.init(
            body: body,
            count: count,
            batchID: batchID,
            coveredThrough: coveredThrough,
            full: count < available || count == BatchBuilder.maximumRows
        )
    }
}

/// Builds wire batches within the protocol's limits (512 KiB, 4,096 rows) from journal entries
/// whose JSON is already written.
enum BatchBuilder {
    static let maximumBytes = WireLimits.maximumPayloadBytes
    static let maximumRows = WireLimits.maximumRowsPerBatch

    /// A row batch of the longest prefix of `entries` that fits; nil when even one row does not.
    /// `snapshotThrough` goes along (ext) once the batch reaches the end of its epoch's snapshot.
    static func rowBatch(
        table: String,
        epoch: String,
        fingerprint: SchemaFingerprint,
        includeColumns: Bool,
        entries: [RowEntry],
        consumedThrough: Int64,
        snapshotThrough: Int64?,
        lkcv: [String: Int64]
    ) -> BuiltBatch? {
        let batchID = UUIDv7Generator.shared.next().description
        var head = Array(
            #"{"format_version":1,"capture_strategy":"sqlite_row_batch_v1","batch_id":"\#(batchID)","journal_epoch":"\#(epoch)","#
                .utf8
        )
        head += Array(#""source_table":"#.utf8)
        WireJSON.writeString(table, to: &head)
        head += Array(#","schema_hash":"\#(fingerprint.schemaHash)","#.utf8)
        if includeColumns { head += Array(#""schema_columns":\#(fingerprint.canonicalJSON),"#.utf8) }
        let budget = maximumBytes - head.count - 120
        var rows: [UInt8] = []
        // 64: a row's members around its key and values, its seq included.
        let written = entries.prefix(maximumRows).reduce(0) { $0 + $1.pk.count + ($1.row?.count ?? 4) + 64 }
        rows.reserveCapacity(min(budget, written))
        var count = 0
        // Each row is written in place and taken back if it does not fit.
        for entry in entries.prefix(maximumRows) {
            let start = rows.count
            if count > 0 { rows.append(UInt8(ascii: ",")) }
            rows += #"{"commit_seq":"#.utf8
            CanonicalJSON.writeInteger(entry.seq, to: &rows)
            rows += #","op":""#.utf8
            rows += entry.op.utf8
            rows += #"","pk":"#.utf8
            rows += entry.pk
            rows += #","row":"#.utf8
            if let row = entry.row { rows += row } else { rows += "null".utf8 }
            if !lkcv.isEmpty, let version = lkcv[canonicalKey(entry.pk)] {
                rows += #","lkcv":"#.utf8
                CanonicalJSON.writeInteger(version, to: &rows)
            }
            rows.append(UInt8(ascii: "}"))
            // Every row counts a separating comma, the first one too.
            guard rows.count + (count == 0 ? 1 : 0) <= budget else {
                rows.removeSubrange(start...)
                break
            }
            count += 1
        }
        guard let firstSeq = entries.first?.seq, count > 0 else { return nil }
        let lastSeq = entries[count - 1].seq
        let covered = count == entries.count ? max(consumedThrough, lastSeq) : lastSeq
        var body = head
        // Due once every entry through it has gone out.
        if let through = snapshotThrough, covered >= through {
            body += Array(#""snapshot_through_commit_seq":\#(through),"#.utf8)
        }
        body += Array(#""first_commit_seq":\#(firstSeq),"last_commit_seq":\#(lastSeq),"rows":["#.utf8)
        body += rows
        body += Array("]}".utf8)
        return BuiltBatch(body: body, count: count, of: entries.count, batchID: batchID, coveredThrough: covered)
    }

    /// The canonical JSON of a journal `pk`, as `cloud_version` keys are stored.
    static func canonicalKey(_ pk: [UInt8]) -> String {
        guard let object = try? JSONParser().parse(pk).objectValue else { return String(decoding: pk, as: UTF8.self) }
        return PrimaryKeyHash.canonicalJSON(of: object)
    }

    /// A telemetry batch of the longest prefix of `samples` that fits.
    static func telemetryBatch(
        table: String,
        epoch: String,
        fingerprint: SchemaFingerprint,
        includeColumns: Bool,
        samples: [SampleEntry],
        batchSeq: Int64,
        consumedThrough: Int64
    ) -> BuiltBatch? {
        var rows: [UInt8] = []
        var count = 0
        var first: Timestamp?
        var last: Timestamp?
        let budget = maximumBytes - 600 - (includeColumns ? fingerprint.canonicalJSON.utf8.count : 0)
        for sample in samples.prefix(maximumRows) {
            guard rows.count + sample.json.count + 1 <= budget else { break }
            if count > 0 { rows.append(UInt8(ascii: ",")) }
            rows += sample.json
            count += 1
            first = first.map { min($0, sample.ts) } ?? sample.ts
            last = last.map { max($0, sample.ts) } ?? sample.ts
        }
        guard let first, let last else { return nil }
        let covered = count == samples.count ? max(consumedThrough, samples[count - 1].seq) : samples[count - 1].seq
        let batchID = UUIDv7Generator.shared.next().description
        var body = Array(
            #"{"batch_id":"\#(batchID)","batch_seq":\#(batchSeq),"capture_strategy":"sqlite_telemetry_batch_v1","#
                .utf8
        )
        body += Array(#""cursor_end_ts":"\#(last)","cursor_start_ts":"\#(first)","format_version":1,"#.utf8)
        // The epoch restarts the server's batch_seq rules when the table's capture is renewed.
        if UUIDv7(epoch) != nil { body += Array(#""journal_epoch":"\#(epoch)","#.utf8) }
        body += Array(#""row_count":\#(count),"rows":["#.utf8)
        body += rows
        body += Array("],".utf8)
        if includeColumns { body += Array(#""schema_columns":\#(fingerprint.canonicalJSON),"#.utf8) }
        body += Array(#""schema_hash":"\#(fingerprint.schemaHash)","source_table":"#.utf8)
        WireJSON.writeString(table, to: &body)
        body.append(UInt8(ascii: "}"))
        return BuiltBatch(body: body, count: count, of: samples.count, batchID: batchID, coveredThrough: covered)
    }
}

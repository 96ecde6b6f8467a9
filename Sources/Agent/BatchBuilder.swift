import EdgeSyncModels
import Foundation
import GRDB

/// One journal row as the triggers wrote it (`pk` and `row` are JSON text already).
struct JournalEntry: Sendable, Hashable {
    var seq: Int64
    var op: String
    var pk: String
    var row: String?

    var bytes: Int { pk.utf8.count + (row?.utf8.count ?? 0) + 48 }
}

/// Builds wire batches within the protocol's limits (512 KiB, 4,096 rows). Journal text is
/// spliced into the body as it is: the triggers already produced valid JSON with exact REALs.
enum BatchBuilder {
    static let maximumBytes = WireLimits.maximumPayloadBytes
    static let maximumRows = WireLimits.maximumRowsPerBatch

    /// Pending journal rows of a table after `cursor`, at most one batch's worth.
    static func pendingEntries(_ db: Database, table: String, after cursor: Int64) throws -> [JournalEntry] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT commit_seq, op, pk, row FROM "\(CaptureSchema.journal)" WHERE table_name = ? AND commit_seq > ? ORDER BY commit_seq LIMIT ?
                """,
            arguments: [table, cursor, maximumRows]
        ).map { JournalEntry(seq: $0["commit_seq"], op: $0["op"], pk: $0["pk"], row: $0["row"]) }
    }

    /// A row batch of the longest prefix of `entries` that fits; nil when even one row does not.
    static func rowBatch(
        table: String,
        epoch: String,
        fingerprint: SchemaFingerprint,
        includeColumns: Bool,
        entries: [JournalEntry],
        lkcv: [String: Int64]
    ) -> (body: [UInt8], count: Int, batchID: String)? {
        let batchID = UUIDv7Generator.shared.next().description
        var head =
            #"{"format_version":1,"capture_strategy":"sqlite_row_batch_v1","batch_id":"\#(batchID)","journal_epoch":"\#(epoch)","#
        head +=
            #""source_table":\#(CanonicalJSON.string(of: .string(table))),"schema_hash":"\#(fingerprint.schemaHash)","#
        if includeColumns { head += #""schema_columns":\#(fingerprint.canonicalJSON),"# }
        var rows: [String] = []
        var size = head.utf8.count + 80
        for entry in entries.prefix(maximumRows) {
            var row =
                #"{"commit_seq":\#(entry.seq),"op":"\#(entry.op)","pk":\#(entry.pk),"row":\#(entry.row ?? "null")"#
            if !lkcv.isEmpty, let version = lkcv[canonicalKey(entry.pk)] { row += #","lkcv":\#(version)"# }
            row += "}"
            guard size + row.utf8.count + 1 <= maximumBytes else { break }
            size += row.utf8.count + 1
            rows.append(row)
        }
        guard !rows.isEmpty else { return nil }
        let used = entries.prefix(rows.count)
        let body =
            head + #""first_commit_seq":\#(used.first!.seq),"last_commit_seq":\#(used.last!.seq),"rows":["#
            + rows.joined(separator: ",") + "]}"
        return (Array(body.utf8), rows.count, batchID)
    }

    /// The canonical JSON of a journal `pk`, as `cloud_version` keys are stored.
    static func canonicalKey(_ pk: String) -> String {
        guard let object = try? JSONParser().parse(Array(pk.utf8)).objectValue else { return pk }
        return PrimaryKeyHash.canonicalJSON(of: object)
    }

    /// The next telemetry batch of `table` after the `(ts, rowid)` cursor.
    static func telemetryBatch(
        _ db: Database,
        table: SourceTable,
        tsColumn: String,
        include: [String]?,
        progress: TableProgress,
        includeColumns: Bool
    ) throws -> OutboundBatch? {
        let fields = include ?? table.columnNames.filter { $0 != tsColumn }
        let ts = SQLIdentifier.quote(tsColumn)
        var sql =
            "SELECT rowid AS __rowid, \(ts) AS __ts, \(fields.map(SQLIdentifier.quote).joined(separator: ", ")) FROM \(SQLIdentifier.quote(table.name))"
        var arguments: StatementArguments = []
        if let cursor = progress.tsCursor, let rowid = progress.rowidCursor {
            sql += " WHERE \(ts) > ? OR (\(ts) = ? AND rowid > ?)"
            arguments = [cursor, cursor, rowid]
        }
        sql += " ORDER BY \(ts), rowid LIMIT \(maximumRows)"
        var rows: [JSONValue] = []
        var first: Timestamp?
        var last: Timestamp?
        var end: (String, Int64)?
        var size = 600 + (includeColumns ? table.fingerprint.canonicalJSON.utf8.count : 0)
        for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
            let raw: DatabaseValue = row["__ts"]
            guard let instant = instant(raw) else { continue }
            var values = JSONObject()
            for field in fields { values[field] = jsonValue(row[field]) }
            let rowID: Int64 = row["__rowid"]
            let sample: JSONValue = .object([
                "ts": .string(instant.description), "row_id": .string(String(rowID)), "fields": .object(values),
            ])
            let length = CanonicalJSON.bytes(of: sample).count + 1
            guard size + length <= maximumBytes else { break }
            size += length
            rows.append(sample)
            first = first.map { min($0, instant) } ?? instant
            last = last.map { max($0, instant) } ?? instant
            end = (cursorText(raw), rowID)
        }
        guard let first, let last, let end else { return nil }
        let batchID = UUIDv7Generator.shared.next().description
        let batchSeq = progress.batchSeq + 1
        var envelope: JSONObject = [
            "format_version": .integer(1), "capture_strategy": .string("sqlite_telemetry_batch_v1"),
            "batch_id": .string(batchID),
            "batch_seq": .integer(batchSeq), "source_table": .string(table.name),
            "schema_hash": .string(table.fingerprint.schemaHash),
            "cursor_start_ts": .string(first.description), "cursor_end_ts": .string(last.description),
            "row_count": .integer(Int64(rows.count)),
            "rows": .array(rows),
        ]
        if includeColumns { envelope["schema_columns"] = table.fingerprint.jsonValue }
        return OutboundBatch(
            table: table.name,
            batchID: batchID,
            topic: .telemetryBatch,
            body: CanonicalJSON.bytes(of: .object(envelope)),
            rowCount: rows.count,
            batchSeq: batchSeq,
            tsEnd: end.0,
            rowidEnd: end.1,
            schemaHashSent: includeColumns ? table.fingerprint.schemaHash : nil
        )
    }

    /// The cursor as text; bound against the column, SQLite's affinity compares it as the
    /// column's own type.
    static func cursorText(_ value: DatabaseValue) -> String {
        switch value.storage {
        case .int64(let number): String(number)
        case .double(let number): String(format: "%.17g", number)
        case .string(let text): text
        default: ""
        }
    }

    /// A time column as an instant: RFC 3339 text, or Unix seconds (milliseconds when huge).
    static func instant(_ value: DatabaseValue) -> Timestamp? {
        switch value.storage {
        case .string(let text): return Timestamp(rfc3339: text) ?? Double(text).flatMap(unixInstant)
        case .int64(let number): return unixInstant(Double(number))
        case .double(let number): return unixInstant(number)
        default: return nil
        }
    }

    static func unixInstant(_ number: Double) -> Timestamp? {
        guard number.isFinite else { return nil }
        let seconds = number > 1e11 ? number / 1000 : number
        let whole = seconds.rounded(.down)
        return Timestamp(seconds: Int64(whole), nanoseconds: Int32((seconds - whole) * 1e9))
    }

    /// A stored value as the wire carries it (BLOBs as uppercase `{"$hex": …}`).
    static func jsonValue(_ value: DatabaseValue) -> JSONValue {
        switch value.storage {
        case .null: .null
        case .int64(let number): .integer(number)
        case .double(let number): number.isFinite ? .double(number) : .string(number > 0 ? "Infinity" : "-Infinity")
        case .string(let text): .string(text)
        case .blob(let data): .object(["$hex": .string(Hex.encode(data, uppercase: true))])
        }
    }
}

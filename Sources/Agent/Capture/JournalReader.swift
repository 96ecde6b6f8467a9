import EdgeSyncModels

/// One change ready for a row batch: its key and, for inserts and updates, the row as it is in
/// the table now (JSON bytes, keys sorted).
struct RowEntry: Sendable, Hashable {
    var seq: Int64
    var op: String
    var pk: [UInt8]
    var row: [UInt8]?

    var bytes: Int { pk.count + (row?.count ?? 0) + 48 }
}

/// One telemetry sample ready for a batch.
struct SampleEntry: Sendable, Hashable {
    var seq: Int64
    var ts: Timestamp
    /// `{"fields":…,"row_id":…,"ts":…}`.
    var json: [UInt8]
}

/// What one read of a journal gives: the entries after the cursor, the last journal seq they
/// consumed (entries whose row is gone since are consumed without being sent), and the table's
/// shape in the same snapshot.
struct JournalRead<Entry: Sendable>: Sendable {
    var entries: [Entry]
    var consumedThrough: Int64?
    var fingerprint: SchemaFingerprint
    /// Samples skipped because their time column holds no time.
    var unreadable = 0
}

/// Reads journal entries joined with their rows, inside the caller's read transaction.
enum JournalReader {
    /// Up to `limit` changes of a rows table after `cursor`.
    static func rows(
        _ db: SQLiteDatabase,
        _ table: CapturedTable,
        after cursor: Int64,
        limit: Int
    ) throws -> JournalRead<RowEntry>? {
        guard case .columns(let keyNames) = table.key else { return nil }
        let info = try TableDiscovery.tableInfo(db, table.name)
        guard !info.isEmpty else { return nil }
        let fingerprint = SchemaFingerprint(tableName: table.name, tableInfo: info)
        let columns = fingerprint.columns.map(\.name)
        let join = zip(keyNames, table.keyColumns).map { "t.\(SQLIdentifier.quote($0)) = j.\($1)" }
        let sql = """
            SELECT j.seq, j.op, \(table.keyColumns.map { "j.\($0)" }.joined(separator: ", ")),
            t.\(SQLIdentifier.quote(keyNames[0])) IS NOT NULL, \(columns.map { "t." + SQLIdentifier.quote($0) }.joined(separator: ", "))
            FROM \(SQLIdentifier.quote(table.journal)) AS j LEFT JOIN \(SQLIdentifier.quote(table.name)) AS t
            ON j.op IN (\(JournalOp.insert.rawValue), \(JournalOp.update.rawValue)) AND \(join.joined(separator: " AND "))
            WHERE j.seq > ? AND j.op > 0 ORDER BY j.seq LIMIT ?
            """
        // The key's names sorted as canonical JSON sorts them, with where each value sits.
        let keyOrder = keyNames.enumerated().sorted { $0.element.utf8.lexicographicallyPrecedes($1.element.utf8) }
        let keyNamesJSON = keyOrder.map { WireJSON.quotedName($0.element) }
        let columnNamesJSON = columns.map(WireJSON.quotedName)
        let keyStart = 2
        let foundAt = keyStart + keyNames.count
        var read = JournalRead<RowEntry>(entries: [], consumedThrough: nil, fingerprint: fingerprint)
        try db.forEachRow(sql, [.integer(cursor), .integer(Int64(limit))]) { row throws(SQLiteError) in
            let seq = row[0].integer ?? 0
            read.consumedThrough = seq
            let op = JournalOp(rawValue: row[1].integer ?? 0) ?? .placeholder
            var pk: [UInt8] = []
            let keyValues = keyOrder.map { row[keyStart + $0.offset] }
            WireJSON.writeObject(names: keyNamesJSON, values: keyValues[...], to: &pk)
            if op == .delete {
                read.entries.append(RowEntry(seq: seq, op: op.wireName, pk: pk, row: nil))
                return true
            }
            // A row deleted since: its delete follows in the journal.
            guard row[foundAt] == .integer(1) else { return true }
            var json: [UInt8] = []
            WireJSON.writeObject(names: columnNamesJSON, values: row[(foundAt + 1)...], to: &json)
            read.entries.append(RowEntry(seq: seq, op: op.wireName, pk: pk, row: json))
            return true
        }
        return read
    }

    /// Up to `limit` samples of a telemetry table after `cursor`.
    static func samples(
        _ db: SQLiteDatabase,
        _ table: CapturedTable,
        tsColumn: String,
        include: [String]?,
        after cursor: Int64,
        limit: Int
    ) throws -> JournalRead<SampleEntry>? {
        let info = try TableDiscovery.tableInfo(db, table.name)
        guard !info.isEmpty else { return nil }
        let fingerprint = SchemaFingerprint(tableName: table.name, tableInfo: info)
        let fields = (include ?? fingerprint.columns.map(\.name).filter { $0 != tsColumn })
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let (on, keyNames): (String, [String])
        switch table.key {
        case .rowid: (on, keyNames) = ("t.rowid = j.k1", [])
        case .columns(let names):
            on = zip(names, table.keyColumns).map { "t.\(SQLIdentifier.quote($0)) = j.\($1)" }.joined(
                separator: " AND "
            )
            keyNames = names
        }
        let selected = [SQLIdentifier.quote(tsColumn)] + fields.map(SQLIdentifier.quote)
        let sql = """
            SELECT j.seq, \(table.keyColumns.map { "j.\($0)" }.joined(separator: ", ")), \(selected.map { "t." + $0 }.joined(separator: ", "))
            FROM \(SQLIdentifier.quote(table.journal)) AS j JOIN \(SQLIdentifier.quote(table.name)) AS t ON \(on)
            WHERE j.seq > ? AND j.op = \(JournalOp.insert.rawValue) ORDER BY j.seq LIMIT ?
            """
        let fieldNamesJSON = fields.map(WireJSON.quotedName)
        let keyCount = table.key.count
        var read = JournalRead<SampleEntry>(entries: [], consumedThrough: nil, fingerprint: fingerprint)
        try db.forEachRow(sql, [.integer(cursor), .integer(Int64(limit))]) { row throws(SQLiteError) in
            let seq = row[0].integer ?? 0
            read.consumedThrough = seq
            guard let ts = TelemetryTime.instant(row[1 + keyCount]) else {
                read.unreadable += 1
                return true
            }
            let rowID = Self.rowID(keyNames: keyNames, values: Array(row[1...keyCount]))
            var json = Array(#"{"fields":"#.utf8)
            WireJSON.writeObject(names: fieldNamesJSON, values: row[(2 + keyCount)...], to: &json)
            json.append(contentsOf: #","row_id":"#.utf8)
            WireJSON.writeString(rowID, to: &json)
            json.append(contentsOf: #","ts":""#.utf8)
            json.append(contentsOf: ts.description.utf8)
            json.append(contentsOf: #""}"#.utf8)
            read.entries.append(SampleEntry(seq: seq, ts: ts, json: json))
            return true
        }
        return read
    }

    /// A sample's `row_id`: its rowid, or for a WITHOUT ROWID table the canonical JSON of its key
    /// (its SHA-256 when that is longer than the wire's 128 characters).
    static func rowID(keyNames: [String], values: [SQLiteValue]) -> String {
        guard !keyNames.isEmpty else {
            if case .integer(let rowid)? = values.first { return String(rowid) }
            return "0"
        }
        var object = JSONObject()
        for (name, value) in zip(keyNames, values) { object[name] = WireJSON.jsonValue(value) }
        let text = CanonicalJSON.string(of: .object(object))
        return text.count <= WireLimits.maximumRowIDLength ? text : SHA256Hex.digest(text)
    }
}

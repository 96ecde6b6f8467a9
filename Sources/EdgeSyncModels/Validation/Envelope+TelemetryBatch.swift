extension Envelope {
    /// Telemetry checks after the common header, in the spec's order: row_count, row_id, cursors
    /// (then schema hash). The batch_seq rules need history and run in the ingest pipeline.
    func telemetryBatch() throws(PayloadRejection) -> TelemetryBatch {
        guard let batchSeq = object["batch_seq"]?.integerValue, batchSeq >= 0 else {
            throw invalid("batch_seq", expected: "an integer ≥ 0")
        }
        var journalEpoch: UUIDv7?
        if let value = object["journal_epoch"], !value.isNull {
            journalEpoch = try uuidv7(field: "journal_epoch", code: .invalidJournalEpoch)
        }
        let rows = try rowObjects()
        let declared = object["row_count"]?.integerValue
        guard declared == Int64(rows.count) else {
            throw reject(
                .rowCountMismatch,
                "row_count is \(declared.map(String.init) ?? "missing"); the batch has \(rows.count) rows"
            )
        }
        var rowIDs: [String?] = []
        rowIDs.reserveCapacity(rows.count)
        for (index, row) in rows.enumerated() {
            guard let value = row["row_id"], !value.isNull else {
                rowIDs.append(nil)
                continue
            }
            guard let text = value.stringValue, !text.isEmpty,
                text.unicodeScalars.count <= WireLimits.maximumRowIDLength
            else {
                throw reject(.invalidRowID, "rows[\(index)].row_id must be a string of 1–128 characters")
            }
            rowIDs.append(text)
        }
        var samples: [TelemetryRow] = []
        samples.reserveCapacity(rows.count)
        for (index, row) in rows.enumerated() {
            let ts = try timestamp(row["ts"], path: "rows[\(index)].ts")
            guard let fields = row["fields"]?.objectValue else {
                throw invalid("rows[\(index)].fields", expected: "an object")
            }
            try checkNames(fields, path: "rows[\(index)].fields")
            samples.append(TelemetryRow(ts: ts, rowID: rowIDs[index], fields: fields))
        }
        let start = try timestamp(object["cursor_start_ts"], path: "cursor_start_ts")
        let end = try timestamp(object["cursor_end_ts"], path: "cursor_end_ts")
        let earliest = samples.map(\.ts).min()!
        let latest = samples.map(\.ts).max()!
        guard start == earliest, end == latest else {
            throw reject(
                .cursorTimestampMismatch,
                "cursors are \(start)…\(end); the rows span \(earliest)…\(latest)"
            )
        }
        let fingerprint = try schemaColumns()
        var batch = TelemetryBatch(
            batchID: batchID!,
            batchSeq: batchSeq,
            sourceTable: sourceTable,
            schemaHash: schemaHash,
            schemaColumns: fingerprint,
            rows: samples
        )
        batch.formatVersion = formatVersion
        batch.journalEpoch = journalEpoch
        // Keep the cursors as sent: equal as instants, but the device's spelling is what it stores.
        batch.cursorStartTs = start
        batch.cursorEndTs = end
        return batch
    }

    func timestamp(_ value: JSONValue?, path: String) throws(PayloadRejection) -> Timestamp {
        guard let text = value?.stringValue, let ts = Timestamp(rfc3339: text) else {
            throw reject(.invalidTimestamp, "\(path) must be an RFC 3339 timestamp")
        }
        return ts
    }
}

import EdgeSyncModels
import MQTT
import NIOCore

extension EdgeAgent {
    /// What the next read of a journal gave.
    enum NextBatch {
        case batch(OutboundBatch)
        /// Entries whose rows are gone since: the cursor moves past them.
        case skipped(through: Int64)
        case nothing
    }

    /// Batches of a rows table on their way at once: the server decodes and validates the next
    /// ones while it commits the one before. With two, the server's writer waited for the agent's
    /// next batch: three drained 4–20 % faster in six alternating pairs of `edge-bench capture`.
    /// Telemetry keeps one: a `batch_seq` below the highest accepted is refused, so its batches
    /// must arrive in order.
    static let rowBatchesInFlight = 3

    /// Publishes a table's pending entries, up to `rowBatchesInFlight` batches on their way, until
    /// a batch less than full has gone and less than a full batch is left, it is paused, or an
    /// error stops it (the next flush tries again). The rows written meanwhile wait for the next
    /// flush (`flush_interval`, or sooner once a full batch is pending): under a steady write load
    /// the agent sends few large batches rather than many small ones, each a transaction and an
    /// fsync on both sides. A running snapshot is journaled first, a chunk per short transaction,
    /// so the whole backlog is known before the choice between MQTT batches and an upload.
    func publish(table name: String) async {
        var window = PublishWindow()
        do {
            try await publishBatches(name, &window)
        } catch {
            log(.error, "publish_failed", "publish failed: \(error)", table: name)
            try? await recordError(name, "\(error)")
        }
        for batch in await window.settle() { _ = try? await done(batch) }
    }

    private func publishBatches(_ name: String, _ window: inout PublishWindow) async throws {
        let drainStarted = ContinuousClock.now
        while !Task.isCancelled, var table = captured[name], let source = tables[name], source.isCaptured {
            let progress = try await state.progress(name)
            if progress.paused { return }
            if window.isEmpty, table.snapshotAfter != nil {
                log(.notice, "snapshot_started", "snapshot of epoch \(table.epoch) started", table: name)
                while !Task.isCancelled, table.snapshotAfter != nil {
                    let current = table
                    let started = ContinuousClock.now
                    table = try await self.source.write { try Snapshotter.step($0, current) }
                    captured[name] = table
                    // Back-to-back write transactions would starve the application's writers,
                    // whose busy handler sleeps between tries: the agent writes a third of the time.
                    try await Task.sleep(for: max(.milliseconds(5), (ContinuousClock.now - started) * 2))
                }
                try await report(name, "snapshot_finished", "snapshot journaled (epoch \(table.epoch))")
            }
            if window.count < (table.isTelemetry ? 1 : Self.rowBatchesInFlight) {
                switch try await nextToSend(table, source, progress, after: window) {
                case .send(let batch):
                    // A pause that arrived while the batch was read holds it (it stays
                    // outbound): the rows read after the pause must not go out.
                    if try await state.progress(name).paused { return }
                    send(batch, into: &window)
                    continue
                case .again: continue
                case .stop: return
                case .wait: break
                }
            }
            let batch: OutboundBatch
            do {
                guard let acknowledged = try await window.next() else { return }
                batch = acknowledged
            } catch MQTTClientError.connectionClosed, MQTTClientError.notConnected {
                return
            }
            let done = try await done(batch)
            if progress.lastError != nil { try await state.update(name) { $0.lastError = nil } }
            let cursor = done.cursor(in: table.epoch)
            // A backlog drains to its end: only a batch less than full leaves the rest to the next flush.
            if window.isEmpty, table.snapshotAfter == nil, !batch.full,
                try await !fullBatchPending(table, after: cursor)
            {
                try await forgetJournal(table, through: cursor)
                return
            }
            // The journal's acknowledged entries go once a second while a backlog drains: each
            // delete waits for the application's write lock.
            if ContinuousClock.now - max(lastForget[name] ?? drainStarted, drainStarted) >= .seconds(1) {
                try await forgetJournal(table, through: cursor)
            }
        }
    }

    /// What a publisher with room in its window does next.
    enum NextStep {
        case send(OutboundBatch)
        /// Something changed (a stale batch dropped, entries skipped, an upload under way): look again.
        case again
        /// Nothing more to send, now or after the batches on their way.
        case stop
        /// Wait for the oldest batch on its way first.
        case wait
    }

    /// The batch that goes next: one persisted and not on its way (it goes again with its own
    /// bytes), else a new one read after the batches on their way, when the window is empty or a
    /// full batch is pending.
    private func nextToSend(
        _ table: CapturedTable,
        _ source: SourceTable,
        _ progress: TableProgress,
        after window: PublishWindow
    ) async throws -> NextStep {
        if try await state.holdsOutbound(table.name, besides: table.epoch) {
            try await state.dropOutbound(table.name)
            return .again
        }
        if let unsent = try await state.outbound(table.name, excluding: window.batches.map(\.batchID)) {
            return .send(unsent)
        }
        if window.isEmpty, !table.isTelemetry, try await spillIfLarge(table, source, progress) {
            return try await state.spill(table.name) != nil ? .stop : .again
        }
        // Where the table stands once the batches on their way are done; `schema_columns` go
        // again until a batch that carries them is acknowledged.
        var ahead = progress
        for batch in window.batches { ahead.follow(batch) }
        if !window.isEmpty, try await !fullBatchPending(table, after: ahead.cursor(in: table.epoch)) { return .wait }
        // A batch is read full when the sweep has the rows for it.
        while try await highestSeq(table) - ahead.cursor(in: table.epoch) < BatchBuilder.maximumRows,
            try await sweepChunk(table.name) == InsertSweep.chunkRows
        {}
        switch try await nextBatch(table, source, ahead) {
        case .batch(let next):
            try await state.saveOutbound(next)
            return .send(next)
        case .skipped(let through) where window.isEmpty:
            try await state.skip(table.name, epoch: table.epoch, through: through)
            return .again
        case .nothing where window.isEmpty:
            try await forgetJournal(table, through: progress.cursor(in: table.epoch))
            return .stop
        case .skipped, .nothing:
            return .wait
        }
    }

    /// Starts a batch's publish, compressed at send time for this connection's server: the batch
    /// kept is the JSON. A compressed batch is never resent to another connection, whose server
    /// (a replica not yet upgraded) may not read zstd: it fails, stays outbound, and goes again at
    /// the next flush, encoded for that server. Started from the agent's executor, the publishes
    /// reach the client in the order sent.
    private func send(_ batch: OutboundBatch, into window: inout PublishWindow) {
        let payload = ContentEncoding.payload(batch.body, accepted: contentEncodings)
        let topic = root + "/" + batch.topic.rawValue
        let resend: MQTTClient.Resend = payload.count < batch.body.count ? .never : .onReconnect
        window.append(
            batch,
            Task { try await self.client.publish(topic: topic, payload: ByteBuffer(bytes: payload), resend: resend) }
        )
    }

    /// A batch acknowledged: its cursor advances and it is forgotten.
    private func done(_ batch: OutboundBatch) async throws -> TableProgress {
        let progress = try await state.complete(batch)
        publishedRows += batch.rowCount
        if batch.rowCount > 0 { rowBytes[batch.table] = batch.body.count / batch.rowCount }
        return progress
    }

    /// Reads the next entries (the older format's first, while an upgraded journal holds any)
    /// with their rows and the table's shape in one snapshot, and builds a batch of them.
    func nextBatch(_ table: CapturedTable, _ source: SourceTable, _ progress: TableProgress) async throws -> NextBatch {
        let cursor = progress.cursor(in: table.epoch)
        switch source.strategy {
        case .ignore:
            return .nothing
        case .telemetry(let ts, let include):
            guard
                let read = try await self.source.read({ db in
                    try JournalReader.samples(
                        db,
                        table,
                        tsColumn: ts,
                        include: include,
                        after: cursor,
                        limit: BatchBuilder.maximumRows
                    )
                }), let consumed = read.consumedThrough
            else { return .nothing }
            adopt(read.fingerprint)
            if read.unreadable > 0 {
                try await report(
                    table.name,
                    "samples_skipped",
                    level: .warning,
                    "skipped \(read.unreadable) samples whose \(ts) is not a time"
                )
            }
            let includeColumns = progress.sentSchemaHash != read.fingerprint.schemaHash
            guard
                let built = BatchBuilder.telemetryBatch(
                    table: table.name,
                    epoch: table.epoch,
                    fingerprint: read.fingerprint,
                    includeColumns: includeColumns,
                    samples: read.entries,
                    batchSeq: progress.batchSeq + 1,
                    consumedThrough: consumed
                )
            else { return .skipped(through: consumed) }
            return .batch(
                OutboundBatch(
                    table: table.name,
                    epoch: table.epoch,
                    batchID: built.batchID,
                    topic: .telemetryBatch,
                    body: built.body,
                    rowCount: built.count,
                    lastSeq: built.coveredThrough,
                    batchSeq: progress.batchSeq + 1,
                    schemaHashSent: includeColumns ? read.fingerprint.schemaHash : nil,
                    full: built.full
                )
            )
        case .rows:
            guard let read = try await readRows(table, after: cursor, limit: BatchBuilder.maximumRows),
                let consumed = read.consumedThrough
            else { return .nothing }
            adopt(read.fingerprint)
            guard !read.entries.isEmpty else { return .skipped(through: consumed) }
            let includeColumns = progress.sentSchemaHash != read.fingerprint.schemaHash
            guard
                let built = BatchBuilder.rowBatch(
                    table: table.name,
                    epoch: table.epoch,
                    fingerprint: read.fingerprint,
                    includeColumns: includeColumns,
                    entries: read.entries,
                    consumedThrough: consumed,
                    snapshotThrough: table.snapshotThrough,
                    lkcv: try await state.cloudVersions(table: table.name)
                )
            else {
                uploadOnly.insert(table.name)
                try await recordError(
                    table.name,
                    "journal entry \(read.entries[0].seq) is larger than a 512 KiB batch; it goes by upload"
                )
                return .nothing
            }
            return .batch(
                OutboundBatch(
                    table: table.name,
                    epoch: table.epoch,
                    batchID: built.batchID,
                    topic: .rowBatch,
                    body: built.body,
                    rowCount: built.count,
                    lastSeq: built.coveredThrough,
                    schemaHashSent: includeColumns ? read.fingerprint.schemaHash : nil,
                    full: built.full
                )
            )
        }
    }

    /// A rows table's entries after `cursor`: what an upgraded journal still holds first.
    func readRows(_ table: CapturedTable, after cursor: Int64, limit: Int) async throws -> JournalRead<RowEntry>? {
        try await source.read { db in
            let legacy = try LegacyJournal.entries(db, table: table.name, after: cursor, limit: limit)
            if let last = legacy.last {
                let info = try TableDiscovery.tableInfo(db, table.name)
                return JournalRead(
                    entries: legacy,
                    consumedThrough: last.seq,
                    fingerprint: SchemaFingerprint(tableName: table.name, tableInfo: info)
                )
            }
            return try JournalReader.rows(db, table, after: cursor, limit: limit)
        }
    }

    /// Deletes the journal entries the server acknowledged, in one statement; the highest entry
    /// stays so that `seq` never goes back. The pages freed are reused by the next writes; a
    /// database in `auto_vacuum = INCREMENTAL` mode also gets them back to the filesystem.
    func forgetJournal(_ table: CapturedTable, through seq: Int64) async throws {
        guard seq > 0 else { return }
        lastForget[table.name] = .now
        try await source.write { db in
            let journal = SQLIdentifier.quote(table.journal)
            try db.run(
                "DELETE FROM \(journal) WHERE seq <= ? AND seq < (SELECT MAX(seq) FROM \(journal))",
                [.integer(seq)]
            )
            try LegacyJournal.forget(db, table: table.name, through: seq)
        }
        try await source.run { db in
            guard try db.scalar("PRAGMA auto_vacuum")?.integer == 2,
                try db.scalar("PRAGMA freelist_count")?.integer ?? 0 >= Self.reclaimPages
            else { return }
            try db.execute("PRAGMA incremental_vacuum")
        }
    }

    /// Free pages worth handing back in an incremental-vacuum database (4 MiB at 4 KiB pages).
    static let reclaimPages: Int64 = 1_024

    /// Whether some table has a batch's worth (512 KiB) waiting: then a flush need not wait for
    /// the interval.
    func pendingBatchReady() async throws -> Bool {
        for table in captured.values where tables[table.name]?.isCaptured == true {
            let progress = try await state.progress(table.name)
            guard !progress.paused else { continue }
            if try await fullBatchPending(table, after: progress.cursor(in: table.epoch)) { return true }
        }
        return false
    }

    /// A full batch's worth of entries (by bytes or rows) follows `cursor`.
    func fullBatchPending(_ table: CapturedTable, after cursor: Int64) async throws -> Bool {
        let pending = try await journalEntries(table, after: cursor)
        return pending >= BatchBuilder.maximumRows
            || pending * (rowBytes[table.name] ?? 256) >= BatchBuilder.maximumBytes
    }

    /// How many journal entries follow `cursor` (an upper bound: seqs are dense, found by index),
    /// with the rows waiting for the sweep counted up to a batch's.
    func journalEntries(_ table: CapturedTable, after cursor: Int64) async throws -> Int {
        let journaled = Int(max(0, try await highestSeq(table) - cursor))
        guard let swept = captured[table.name], swept.sweepMark != nil else { return journaled }
        return try await journaled + source.run { try InsertSweep.waiting($0, swept, limit: BatchBuilder.maximumRows) }
    }

    /// The journal's highest seq (it is never deleted, so seqs never go back).
    func highestSeq(_ table: CapturedTable) async throws -> Int64 {
        try await source.run { db in
            try db.scalar("SELECT MAX(seq) FROM \(SQLIdentifier.quote(table.journal))")?.integer ?? 0
        }
    }
}

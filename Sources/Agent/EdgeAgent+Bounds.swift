import EdgeSyncModels

#if canImport(Glibc)
import Glibc
#endif

/// The journals' bounds on a small device: all journals together stay under
/// `local_retention_bytes`, and the disk under the database keeps `min_free_disk` free. Past
/// either, journals give way before the application's writes would: a rows table's journal is
/// rebuilt by a snapshot under a new epoch (its current rows all go again; only the history in
/// between is lost, and reported), then telemetry loses its oldest samples (reported). A small
/// reserve file keeps room for the agent's own writes while it frees space.
extension EdgeAgent {
    static let boundsCheckInterval: Duration = .seconds(5)
    static let reserveBytes = 4 << 20

    var reservePath: String { (configuration.resolvedStatePath ?? sourcePath) + ".reserve" }

    func enforceBounds() async throws {
        if let last = lastRetentionCheck, ContinuousClock.now - last < Self.boundsCheckInterval { return }
        lastRetentionCheck = .now
        let directory = sourcePath.lastIndex(of: "/").map { String(sourcePath[..<$0]) } ?? "."
        let free = availableBytes(at: directory.isEmpty ? "/" : directory)
        let floor = configuration.minimumFreeDiskBytes
        var sizes: [(table: CapturedTable, entries: Int64, bytes: Int64)] = []
        for table in captured.values {
            let journal = SQLIdentifier.quote(table.journal)
            let keyLength = table.keyColumns.map { "COALESCE(length(\($0)), 0)" }.joined(separator: " + ")
            let row = try await source.run { db in
                try db.firstRow(
                    "SELECT MIN(seq), MAX(seq), (SELECT \(keyLength) FROM \(journal) ORDER BY seq DESC LIMIT 1) FROM \(journal)"
                )
            }
            guard let row, let low = row[0].integer, let high = row[1].integer else { continue }
            let entries = high - low + 1
            sizes.append((table, entries, entries * (24 + (row[2].integer ?? 8))))
        }
        var total = sizes.reduce(0) { $0 + $1.bytes }
        var lowDisk = free.map { $0 < floor } ?? false
        guard total > configuration.localRetentionBytes || lowDisk else {
            keepReserve(free: free)
            return
        }
        unlink(reservePath)
        let why =
            lowDisk
            ? "the disk has \(free ?? 0) bytes free, under min_free_disk (\(floor))"
            : "the journals hold about \(total) bytes, over local_retention_bytes (\(configuration.localRetentionBytes))"
        let target = configuration.localRetentionBytes * 8 / 10
        for entry in sizes.sorted(by: { $0.bytes > $1.bytes }) where !entry.table.isTelemetry && entry.entries > 1 {
            guard total > target || lowDisk, let source = tables[entry.table.name] else { break }
            let old = entry.table
            let renewed = try await self.source.write { db in
                try CaptureCatalog.remove(db, old)
                try LegacyJournal.discard(db, table: old.name)
                return try CaptureCatalog.install(db, source, epoch: Self.newEpoch(), snapshot: true)
            }
            captured[old.name] = renewed
            try await state.dropOutbound(old.name)
            try await state.dropSpill(old.name)
            try await report(
                old.name,
                "journal_dropped",
                level: .warning,
                "\(why): dropped its journal (\(entry.entries) changes); a snapshot under journal_epoch \(renewed.epoch) sends its rows again"
            )
            total -= entry.bytes
            lowDisk = false
        }
        for entry in sizes.sorted(by: { $0.bytes > $1.bytes }) where entry.table.isTelemetry && entry.entries > 1 {
            guard total > target else { break }
            let dropped = try await dropOldestSamples(entry.table, keeping: entry.entries / 2)
            try await report(
                entry.table.name,
                "samples_dropped",
                level: .warning,
                "\(why): dropped its \(dropped) oldest samples, which are lost"
            )
            total -= entry.bytes / 2
        }
    }

    /// Deletes a telemetry journal's oldest entries until `keeping` remain, in short chunks.
    func dropOldestSamples(_ table: CapturedTable, keeping: Int64) async throws -> Int {
        let journal = SQLIdentifier.quote(table.journal)
        var dropped = 0
        while true {
            let count = try await source.write { db in
                try db.run(
                    """
                    DELETE FROM \(journal) WHERE seq IN (SELECT seq FROM \(journal)
                    WHERE seq <= (SELECT MAX(seq) FROM \(journal)) - ? ORDER BY seq LIMIT 10000)
                    """,
                    [.integer(max(1, keeping))]
                )
            }
            dropped += count
            if count < 10_000 { return dropped }
        }
    }

    /// Puts the reserve file back once the disk has room for it again.
    func keepReserve(free: Int64?) {
        guard let free, free > configuration.minimumFreeDiskBytes + Int64(2 * Self.reserveBytes),
            FileIdentity(path: reservePath) == nil
        else { return }
        let file = open(reservePath, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard file >= 0 else { return }
        defer { close(file) }
        if posix_fallocate(file, 0, off_t(Self.reserveBytes)) != 0 { _ = ftruncate(file, 0) }
    }
}

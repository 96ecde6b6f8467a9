import EdgeSyncModels

extension EdgeAgent {
    /// Sweeps the rows inserted above every sweeping table's mark into its journal, a chunk per
    /// write transaction, so that the journal holds every change the application committed before
    /// this poll (its bounds, its marks and the status see them all). Only those: a sweep that
    /// chased an application still inserting would hold back every publish until it paused; the
    /// publisher sweeps the newer rows as its batches need them.
    func sweepInserts() async throws {
        for name in captured.keys.sorted() where captured[name]?.sweepMark != nil && tables[name]?.isCaptured == true {
            guard let table = captured[name],
                let highest = try await source.run({ try InsertSweep.highestKey($0, table) })
            else { continue }
            while try await sweepChunk(name, through: highest) == InsertSweep.chunkRows {
                // Back-to-back write transactions would starve the application's writers, as a snapshot's would.
                try await Task.sleep(for: .milliseconds(5))
            }
        }
    }

    /// Sweeps one chunk of a table's rows above its mark (up to `highest`, when given); returns
    /// how many it journaled.
    @discardableResult
    func sweepChunk(_ name: String, through highest: Int64? = nil) async throws -> Int {
        guard let table = captured[name], table.sweepMark != nil,
            try await source.run({ try InsertSweep.waiting($0, table, through: highest, limit: 1) }) > 0
        else { return 0 }
        let (swept, count) = try await source.run { db in
            try db.promptly { try db.transaction { try InsertSweep.step(db, table, through: highest) } }
        }
        // A reconcile meanwhile may have renewed the table: keep its entry.
        if let known = captured[name], known.id == swept.id, let mark = swept.sweepMark {
            captured[name]?.sweepMark = max(mark, known.sweepMark ?? mark)
        }
        return count
    }
}

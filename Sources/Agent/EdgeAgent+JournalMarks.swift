import EdgeSyncModels

extension EdgeAgent {
    /// How often a journal that keeps growing gets a new mark: the precision of the oldest unsent
    /// row's age, against one small write of the state file per interval and table.
    static let journalMarkInterval: Duration = .seconds(10)

    /// Notes, for each captured table with unsent entries, when the agent saw its journal reach its
    /// highest seq (`AgentStateStore.mark`): at once when no mark covers the unsent entries yet,
    /// then once per `journalMarkInterval` while the journal grows.
    func markJournals(now: ContinuousClock.Instant = .now) async throws {
        for table in captured.values where tables[table.name]?.isCaptured == true {
            let cursor = try await state.progress(table.name).cursor(in: table.epoch)
            let highest = try await highestSeq(table)
            guard highest > cursor else { continue }
            if let last = journalMarks[table.name], last.epoch == table.epoch, last.seq > cursor,
                highest == last.seq || now - last.at < Self.journalMarkInterval
            {
                continue
            }
            try await state.mark(
                table: table.name,
                epoch: table.epoch,
                through: highest,
                at: .now,
                acknowledged: cursor
            )
            journalMarks[table.name] = (table.epoch, highest, now)
        }
    }
}

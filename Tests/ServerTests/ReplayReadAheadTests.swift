import EdgeSyncModels
import Testing

@testable import Server

/// The replay reads its next chunk while a step writes (`ReplayReadAhead`). A chunk that is no
/// longer the lineage's first staged rows when its step comes is not used: the replay keeps
/// commit order and replays every row exactly once.
@Suite("Replay read-ahead")
struct ReplayReadAheadTests {
    static let epoch = "01936f2e-5c3b-7a00-8000-000000000005"

    /// 30 staged rows, approved with every column but `ignored` mirrored, and a first step of 10
    /// that starts reading rows 11 to 20.
    static func replaying(ignoring ignored: Set<String> = []) async throws -> (StoreFixture, lineageID: String) {
        let fixture = try await StoreFixture.make()
        _ = try await fixture.ingest(rowBatch(seqs: 1...30, epoch: epoch, columns: deviceStateV1), .rowBatch)
        try await fixture.approveFirstReview(mirroring: deviceStateV1, ignoring: ignored)
        let first = try await fixture.store.replayStep(limit: 10, now: .now)
        #expect(first.replayed == 10)
        return (fixture, try #require(first.lineageID))
    }

    /// Stages one more row of the lineage, a copy of the row of commit `seq` at (`epoch`, `at`)
    /// with primary key `id`, as an ingest would (the lineage's count goes up), but without its key
    /// hash, as the store staged rows before its v9.
    static func stage(
        _ fixture: StoreFixture,
        _ lineageID: String,
        copyOf seq: Int,
        epoch: String,
        at: Int,
        id: Int
    )
        async throws
    {
        try await fixture.store.backend.write { tx in
            try tx.execute(
                """
                INSERT INTO staged_row (\(SQLGovernanceStore.stagedInsertColumns))
                SELECT lineage_id, ?, ?, op, ?, ?, ts_ns, row_id, reason, schema_hash, bytes, received_at, NULL
                FROM staged_row WHERE lineage_id = ? AND commit_seq = ?
                """,
                [
                    .integer(Int64(at)), .text(epoch), .text(#"{"id":\#(id)}"#),
                    .text(#"{"id":\#(id),"mode":"late"}"#), .text(lineageID), .integer(Int64(seq)),
                ]
            )
            try tx.execute(
                "UPDATE lineage SET staged_row_count = staged_row_count + 1 WHERE id = ?",
                [.text(lineageID)]
            )
        }
    }

    /// The lineage's mirror rows (all of them: the tests mirror a few dozen).
    static func mirrorRows(_ fixture: StoreFixture, _ lineageID: String) async throws -> [JSONObject] {
        try await fixture.store.mirrorRows(
            lineageID: lineageID,
            page: PageRequest(page: 1, limit: 500),
            order: nil,
            query: nil
        ).items
    }

    /// A mirror row's `id`.
    static func id(_ row: JSONObject) -> Int64? {
        if case .integer(let id) = row["id"] { id } else { nil }
    }

    static func mirrored(_ fixture: StoreFixture, _ lineageID: String) async throws -> Set<Int64> {
        Set(try await mirrorRows(fixture, lineageID).compactMap(id))
    }

    static func drained(_ fixture: StoreFixture, _ lineageID: String, expecting ids: Set<Int64>) async throws {
        while try await fixture.store.replayStep(limit: 10, now: .now).replayed > 0 {}
        let mirrored = try await mirrored(fixture, lineageID)
        #expect(mirrored == ids)
        let detail = try await fixture.store.lineageDetail(id: lineageID, projectID: fixture.projectID)
        #expect(detail?.lineage.stagedRowCount == 0 && detail?.replayIntent?.state == .completed)
        let left = try await fixture.store.backend.read { tx in
            try tx.value("SELECT count(*) FROM staged_row WHERE lineage_id = ?", [.text(lineageID)])?.integer
        }
        #expect(left == 0)
    }

    @Test func aRowStagedAheadOfTheChunkReadGoesFirst() async throws {
        let (fixture, lineageID) = try await Self.replaying()
        // An earlier journal epoch sorts before every row read ahead.
        try await Self.stage(
            fixture,
            lineageID,
            copyOf: 30,
            epoch: "01936f2e-5c3b-7a00-8000-000000000001",
            at: 3,
            id: 99
        )
        let step = try await fixture.store.replayStep(limit: 10, now: .now)
        #expect(step.replayed == 10)
        let mirrored = try await Self.mirrored(fixture, lineageID)
        #expect(mirrored == Set((1...19).map(Int64.init) + [99]), "the earlier row first, then rows 11 to 19")
        try await Self.drained(fixture, lineageID, expecting: Set((1...30).map(Int64.init) + [99]))
    }

    @Test func aChunkWithARowReplayedElsewhereIsReadAgain() async throws {
        let (fixture, lineageID) = try await Self.replaying()
        // Another replica replayed row 15 and a row was staged in its place: as many rows are
        // staged up to the chunk's end as it holds, but one of them is not the chunk's.
        try await Self.stage(fixture, lineageID, copyOf: 15, epoch: Self.epoch, at: 15, id: 77)
        try await fixture.store.backend.write { tx in
            try tx.execute(
                """
                DELETE FROM staged_row WHERE id = (SELECT min(id) FROM staged_row WHERE lineage_id = ? AND commit_seq = 15)
                """,
                [.text(lineageID)]
            )
            try tx.execute(
                "UPDATE lineage SET staged_row_count = staged_row_count - 1 WHERE id = ?",
                [.text(lineageID)]
            )
        }
        let step = try await fixture.store.replayStep(limit: 10, now: .now)
        #expect(step.replayed == 10)
        let expected = Set((1...20).map(Int64.init)).subtracting([15]).union([77])
        let mirrored = try await Self.mirrored(fixture, lineageID)
        #expect(mirrored == expected)
        try await Self.drained(fixture, lineageID, expecting: expected.union((21...30).map(Int64.init)))
    }

    @Test func aChunkConvertedForAnotherTargetIsReadAgain() async throws {
        let (fixture, lineageID) = try await Self.replaying(ignoring: ["mode"])
        // The chunk read ahead was converted for a target without `mode`; now it is mirrored too
        // (as a re-approval that adds a column leaves it).
        try await fixture.store.backend.write { tx in
            let table = try #require(
                try tx.value("SELECT mirror_table FROM lineage WHERE id = ?", [.text(lineageID)])?.text
            )
            try tx.execute("ALTER TABLE \(SQLIdentifier.quote(table)) ADD COLUMN mode TEXT")
            try tx.execute(
                "UPDATE binding SET target_column = 'mode', affinity = 'text' WHERE lineage_id = ? AND source_column = 'mode'",
                [.text(lineageID)]
            )
        }
        let step = try await fixture.store.replayStep(limit: 10, now: .now)
        #expect(step.replayed == 10)
        let rows = try await Self.mirrorRows(fixture, lineageID)
        let modes = Dictionary(
            rows.compactMap { row -> (Int64, JSONValue)? in
                guard let id = Self.id(row) else { return nil }
                return (id, row["mode"] ?? .null)
            },
            uniquingKeysWith: { first, _ in first }
        )
        #expect(modes.count == 20)
        #expect((1...10).allSatisfy { modes[$0] == .null }, "written while `mode` was not mirrored")
        #expect((11...20).allSatisfy { modes[$0] != .null }, "written for the target as it is now")
        try await Self.drained(fixture, lineageID, expecting: Set((1...30).map(Int64.init)))
    }

    @Test func aRowReadAheadThatDoesNotConvertWaitsStagedAndTheOthersLand() async throws {
        let (fixture, lineageID) = try await Self.replaying()
        // Row 25 is in the chunk read ahead during the next step: its value is no BLOB.
        try await fixture.store.backend.write { tx in
            try tx.execute(
                "UPDATE staged_row SET row_json = ? WHERE lineage_id = ? AND commit_seq = 25",
                [.text(#"{"id":25,"mode":{"$hex":"zz"}}"#), .text(lineageID)]
            )
        }
        while try await fixture.store.replayStep(limit: 10, now: .now).replayed > 0 {}
        let mirrored = try await Self.mirrored(fixture, lineageID)
        #expect(mirrored == Set((1...30).map(Int64.init)).subtracting([25]))
        let left = try await fixture.store.backend.read { tx in
            try tx.query("SELECT commit_seq, reason FROM staged_row WHERE lineage_id = ?", [.text(lineageID)])
        }
        #expect(left.map { [$0[0], $0[1]] } == [[.integer(25), .text(StagingReason.materializationFailed.rawValue)]])
    }

    @Test func aRowStagedWithoutItsKeyHashReplaysAsTheSameKey() async throws {
        let (fixture, lineageID) = try await Self.replaying()
        // Ingest stored each staged row's key hash: the one a replay computes from the key.
        let staged = try await fixture.store.backend.read { tx in
            try tx.query(
                ReplayChunk.sql(.rows, resuming: false),
                [.text(lineageID), .integer(100)]
            )
        }
        #expect(staged.count == 20)
        for row in staged {
            let key = try #require(row[ReplayChunk.Column.pk.rawValue].text.flatMap(SQLGovernanceStore.object))
            #expect(row[ReplayChunk.Column.keyHash.rawValue].text == PrimaryKeyHash.hash(of: key))
        }
        // A later change of row 25 staged without a hash, in the chunk of row 25's own: one key.
        try await Self.stage(fixture, lineageID, copyOf: 25, epoch: Self.epoch, at: 29, id: 25)
        try await Self.drained(fixture, lineageID, expecting: Set((1...30).map(Int64.init)))
        let rows = try await Self.mirrorRows(fixture, lineageID)
        let late = rows.filter { $0["mode"] == .string("late") }.compactMap(Self.id)
        #expect(rows.count == 30 && late == [25])
    }
}

import EdgeSyncModels
import TestSupport
import Testing

@testable import Server

/// A run planned in memory must leave each key exactly as one statement per change would
/// (docs/spec/governance.md, "Row semantics"), and the multi-row statements must stay within
/// the databases' bind limits.
@Suite("Mirror run plan")
struct MirrorRunPlanTests {
    typealias Version = MirrorRunPlan.Version
    typealias Change = MirrorRunPlan.Change

    /// A mirror row: its version and data column values (a missing column is NULL).
    struct Row: Equatable {
        var version: Version
        var data: [Int: SQLValue]
    }

    static func change(
        _ op: RowOperation,
        key: Int64,
        epoch: String = "e1",
        seq: Int64,
        data: [Int: SQLValue] = [:]
    )
        -> Change
    {
        Change(op: op, key: [.integer(key)], pkHash: "h\(key)", version: Version(epoch: epoch, seq: seq), data: data)
    }

    static func plan(
        _ changes: [Change],
        held: [[SQLValue]: Row] = [:],
        tombstones: [String: Version] = [:],
        keepTombstones: Bool = true
    ) -> MirrorRunPlan {
        let (keys, grouped) = MirrorRunPlan.keys(of: changes)
        return MirrorRunPlan(
            changes: changes,
            keys: keys,
            grouped: grouped,
            held: keys.map { held[$0]?.version },
            heldTombstones: tombstones,
            keepTombstones: keepTombstones
        )
    }

    /// The mirror after the plan's writes, as MirrorWriter performs them.
    static func applying(_ plan: MirrorRunPlan, to held: [[SQLValue]: Row]) -> [[SQLValue]: Row] {
        var mirror = held
        for outcome in plan.outcomes {
            guard outcome.present else {
                mirror[outcome.key] = nil
                continue
            }
            guard outcome.changed, let version = outcome.version else { continue }
            let base = outcome.replaceAll ? [:] : mirror[outcome.key]?.data ?? [:]
            mirror[outcome.key] = Row(version: version, data: base.merging(outcome.assigned) { $1 })
        }
        return mirror
    }

    /// The reference: one change at a time, as one statement per change would apply it.
    static func sequential(
        _ changes: [Change],
        held: [[SQLValue]: Row],
        tombstones: [String: Version],
        keepTombstones: Bool
    ) -> (mirror: [[SQLValue]: Row], tombstones: [String: Version]) {
        var mirror = held
        var graves = tombstones
        for change in changes {
            if let row = mirror[change.key], change.version <= row.version { continue }
            if change.op == .delete {
                if keepTombstones, graves[change.pkHash].map({ change.version > $0 }) ?? true {
                    graves[change.pkHash] = change.version
                }
                mirror[change.key] = nil
                continue
            }
            if keepTombstones, let grave = graves[change.pkHash], change.version <= grave { continue }
            let data = mirror[change.key]?.data ?? [:]
            mirror[change.key] = Row(version: change.version, data: data.merging(change.data) { $1 })
        }
        return (mirror, graves)
    }

    @Test("a delete and a re-insert in one run recreate the row with only the new values")
    func deleteThenInsert() {
        let held: [[SQLValue]: Row] = [[.integer(1)]: Row(version: Version(epoch: "e1", seq: 1), data: [0: 1, 1: 2])]
        let plan = Self.plan(
            [Self.change(.delete, key: 1, seq: 2), Self.change(.insert, key: 1, seq: 3, data: [0: 7])],
            held: held
        )
        #expect(plan.outcomes.count == 1)
        #expect(plan.outcomes[0].replaceAll)
        #expect(
            Self.applying(plan, to: held)[[.integer(1)]] == Row(version: Version(epoch: "e1", seq: 3), data: [0: 7])
        )
        #expect(plan.tombstones == ["h1": Version(epoch: "e1", seq: 2)])
        #expect(plan.delta == 0)
    }

    @Test("changes no newer than the row or its tombstone are skipped; a newer epoch wins")
    func staleChangesAreSkipped() {
        let held: [[SQLValue]: Row] = [[.integer(1)]: Row(version: Version(epoch: "e2", seq: 5), data: [0: 1])]
        let stale = Self.plan([Self.change(.update, key: 1, epoch: "e2", seq: 5, data: [0: 9])], held: held)
        #expect(!stale.outcomes[0].changed)
        let buried = Self.plan(
            [Self.change(.insert, key: 2, seq: 3, data: [0: 9])],
            tombstones: ["h2": Version(epoch: "e1", seq: 4)]
        )
        #expect(!buried.outcomes[0].present)
        #expect(buried.delta == 0)
        let newEpoch = Self.plan([Self.change(.update, key: 1, epoch: "e3", seq: 1, data: [0: 9])], held: held)
        #expect(Self.applying(newEpoch, to: held)[[.integer(1)]]?.data == [0: 9])
    }

    @Test("random runs end as one statement per change would leave them", arguments: 0..<40)
    func matchesSequentialApplication(seed: Int) {
        var random = SplitMix(state: UInt64(seed) &+ 0x5EED)
        let keepTombstones = seed % 4 != 0
        var held: [[SQLValue]: Row] = [:]
        var tombstones: [String: Version] = [:]
        for key in 0..<6 where Bool.random(using: &random) {
            held[[.integer(Int64(key))]] = Row(
                version: Version(epoch: "e1", seq: Int64.random(in: 0..<20, using: &random)),
                data: [0: .integer(Int64(key)), 1: .text("held")]
            )
        }
        for key in 0..<6 where Int.random(in: 0..<4, using: &random) == 0 {
            tombstones["h\(key)"] = Version(epoch: "e1", seq: Int64.random(in: 0..<20, using: &random))
        }
        let changes = (0..<Int.random(in: 1..<30, using: &random)).map { _ in
            let op = RowOperation.allCases.randomElement(using: &random)!
            var data: [Int: SQLValue] = [:]
            if op != .delete {
                for column in 0..<3 where Bool.random(using: &random) {
                    data[column] = .integer(Int64.random(in: 0..<100, using: &random))
                }
            }
            return Self.change(
                op,
                key: Int64.random(in: 0..<6, using: &random),
                epoch: Bool.random(using: &random) ? "e1" : "e2",
                seq: Int64.random(in: 0..<25, using: &random),
                data: data
            )
        }
        let plan = Self.plan(changes, held: held, tombstones: tombstones, keepTombstones: keepTombstones)
        let expected = Self.sequential(changes, held: held, tombstones: tombstones, keepTombstones: keepTombstones)
        #expect(Self.applying(plan, to: held) == expected.mirror, "seed \(seed)")
        #expect(tombstones.merging(plan.tombstones) { $1 } == expected.tombstones, "seed \(seed)")
        #expect(held.count + plan.delta == expected.mirror.count, "seed \(seed)")
    }

    @Test("multi-row statements are cut into chunks under the bind limit, covering every row once")
    func bulkChunks() {
        #expect(BulkSQL.chunks(0, width: 4).isEmpty)
        for width in [1, 3, 7, 40_000] {
            let chunks = BulkSQL.chunks(25_001, width: width)
            #expect(chunks.first?.lowerBound == 0)
            #expect(chunks.last?.upperBound == 25_001)
            #expect(zip(chunks, chunks.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            #expect(chunks.allSatisfy { $0.count == 1 || $0.count * width <= BulkSQL.maximumBinds })
        }
        for count in [0, 1, 63, 64, 65, 200, 1_000] {
            let chunks = BulkSQL.chunks(count, width: 12, rowsPerStatement: 64)
            #expect(chunks.map(\.count).reduce(0, +) == count)
            #expect(zip(chunks, chunks.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            // Every statement has one of a handful of sizes: 64, or a power of two below it.
            #expect(Set(chunks.map(\.count)).isSubset(of: [64, 32, 16, 8, 4, 2, 1]), "\(count)")
        }
        #expect(BulkSQL.chunks(200, width: 12, rowsPerStatement: 64).map(\.count) == [64, 64, 64, 8])
        #expect(BulkSQL.chunks(10, width: 20_000, rowsPerStatement: 64).map(\.count) == Array(repeating: 1, count: 10))
        #expect(BulkSQL.tuple(3) == "(?, ?, ?)")
        #expect(BulkSQL.values("(?, ?)", rows: 2) == "(?, ?), (?, ?)")
    }
}

import EdgeSyncModels
import Foundation
import GRDB
import TestSupport
import Testing

@testable import Server

/// Property: whatever a device does to a table (inserts, updates, deletes, primary-key changes),
/// shipped as batches with duplicate and reordered resends, staged before the approval and live
/// after it, with the replay interleaved at random, the mirror ends equal to the source table.
@Suite("Mirror convergence (property)")
struct MirrorConvergenceTests {
    static let schema = SchemaFingerprint(
        tableName: "device_state",
        columns: [
            SchemaColumn(name: "id", declTypeAffinity: .integer, pkOrdinal: 1, notNull: true),
            SchemaColumn(name: "mode", declTypeAffinity: .text, pkOrdinal: 0, notNull: false),
            SchemaColumn(name: "payload", declTypeAffinity: .blob, pkOrdinal: 0, notNull: false),
        ]
    )

    struct Change {
        var seq: Int64
        var op: RowOperation
        var id: Int64
        var row: JSONObject?
    }

    /// Applies random operations to a real SQLite table and records the journal the agent's
    /// triggers would capture (a PK change is a delete of the old key plus an insert of the new).
    static func workload(_ random: inout SplitMix, operations: Int, reference: DatabaseQueue) throws -> [Change] {
        try reference.write { db in
            try db.execute(sql: "CREATE TABLE device_state (id INTEGER PRIMARY KEY, mode TEXT, payload BLOB)")
        }
        var journal: [Change] = []
        var seq: Int64 = 0
        func row(_ id: Int64, _ random: inout SplitMix) -> (JSONObject, String, Data) {
            let mode = ["idle", "heat", "cool", "eco", "ñ-mode"].randomElement(using: &random)!
            let bytes = (0..<Int.random(in: 0...4, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random)
            }
            return (
                ["id": .integer(id), "mode": .string(mode), "payload": .object(["$hex": .string(Hex.encode(bytes))])],
                mode, Data(bytes)
            )
        }
        for _ in 0..<operations {
            let present = try reference.read { try Int64.fetchAll($0, sql: "SELECT id FROM device_state") }
            let absent = (1...40).map(Int64.init).filter { !present.contains($0) }
            let choice = present.isEmpty ? 0 : Int.random(in: 0..<10, using: &random)
            switch choice {
            case 0...3 where !absent.isEmpty:
                let id = absent.randomElement(using: &random)!
                let (object, mode, payload) = row(id, &random)
                try reference.write {
                    try $0.execute(sql: "INSERT INTO device_state VALUES (?, ?, ?)", arguments: [id, mode, payload])
                }
                seq += 1
                journal.append(Change(seq: seq, op: .insert, id: id, row: object))
            case 4...6:
                let id = present.randomElement(using: &random)!
                let (object, mode, payload) = row(id, &random)
                try reference.write {
                    try $0.execute(
                        sql: "UPDATE device_state SET mode = ?, payload = ? WHERE id = ?",
                        arguments: [mode, payload, id]
                    )
                }
                seq += 1
                journal.append(Change(seq: seq, op: .update, id: id, row: object))
            case 7...8 where !absent.isEmpty:
                let old = present.randomElement(using: &random)!
                let new = absent.randomElement(using: &random)!
                try reference.write {
                    try $0.execute(sql: "UPDATE device_state SET id = ? WHERE id = ?", arguments: [new, old])
                }
                let moved = try reference.read {
                    try Row.fetchOne($0, sql: "SELECT mode, payload FROM device_state WHERE id = ?", arguments: [new])!
                }
                let bytes: Data = moved["payload"]
                journal.append(Change(seq: seq + 1, op: .delete, id: old, row: nil))
                journal.append(
                    Change(
                        seq: seq + 2,
                        op: .insert,
                        id: new,
                        row: [
                            "id": .integer(new), "mode": .string(moved["mode"]),
                            "payload": .object(["$hex": .string(Hex.encode(bytes))]),
                        ]
                    )
                )
                seq += 2
            default:
                let id = present.randomElement(using: &random)!
                try reference.write { try $0.execute(sql: "DELETE FROM device_state WHERE id = ?", arguments: [id]) }
                seq += 1
                journal.append(Change(seq: seq, op: .delete, id: id, row: nil))
            }
        }
        return journal
    }

    static func batch(_ changes: ArraySlice<Change>, epoch: String) -> JSONObject {
        var object = rowBatch(seqs: changes.first!.seq...changes.last!.seq, epoch: epoch, columns: schema)
        object["rows"] = .array(
            changes.map { change in
                var entry: JSONObject = [
                    "commit_seq": .integer(change.seq), "op": .string(change.op.rawValue),
                    "pk": .object(["id": .integer(change.id)]),
                ]
                if let row = change.row { entry["row"] = .object(row) }
                return .object(entry)
            }
        )
        return object
    }

    @Test(arguments: 1...12)
    func theMirrorEqualsTheSourceTable(seed: UInt64) async throws {
        var random = SplitMix(state: seed &* 0x9E37_79B9)
        let fixture = try await StoreFixture.make()
        let reference = try DatabaseQueue(path: fixture.directory.appendingPathComponent("source.sqlite").path)
        let journal = try Self.workload(&random, operations: 150, reference: reference)
        let epoch = "01936f2e-5c3b-7a00-8000-00000000000\(seed % 10)"
        var batches: [JSONObject] = []
        var start = 0
        while start < journal.count {
            let end = min(journal.count, start + Int.random(in: 1...12, using: &random))
            batches.append(Self.batch(journal[start..<end], epoch: epoch))
            start = end
        }
        let approveAfter = Int.random(in: 0..<batches.count, using: &random)
        for (index, batch) in batches.enumerated() {
            _ = try await fixture.ingest(batch, .rowBatch)
            if Int.random(in: 0..<3, using: &random) == 0 {
                _ = try await fixture.ingest(batches[Int.random(in: 0...index, using: &random)], .rowBatch)
            }
            if index == approveAfter { try await fixture.approveFirstReview(mirroring: Self.schema) }
            if index >= approveAfter, Bool.random(using: &random) {
                _ = try await fixture.store.replayStep(limit: Int.random(in: 1...20, using: &random), now: .now)
            }
        }
        while try await fixture.store.replayStep(limit: 50, now: .now).replayed > 0 {}

        let lineage = try await fixture.store.lineages(
            projectID: fixture.projectID,
            filter: LineageFilter(),
            page: PageRequest(page: 1, limit: 5)
        ).items[0]
        let mirror = try await fixture.store.mirrorRows(
            lineageID: lineage.id,
            page: PageRequest(page: 1, limit: 500),
            order: nil,
            query: nil
        )
        let expected = try await reference.read { db in
            try Row.fetchAll(db, sql: "SELECT id, mode, payload FROM device_state ORDER BY id").map {
                row -> [JSONValue] in
                let bytes: Data = row["payload"]
                return [
                    .integer(row["id"]), .string(row["mode"]),
                    .object(["$hex": .string(Hex.encode(bytes, uppercase: true))]),
                ]
            }
        }
        let actual = mirror.items.map { [$0["id"]!, $0["mode"]!, $0["payload"]!] }
        #expect(
            actual == expected,
            "seed \(seed): \(journal.count) changes in \(batches.count) batches, approved after \(approveAfter)"
        )
        #expect(mirror.total == expected.count && lineage.stagedRowCount == 0 && lineage.status == .active)
    }
}

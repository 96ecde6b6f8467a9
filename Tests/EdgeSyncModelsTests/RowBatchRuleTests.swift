import EdgeSyncModels
import Testing

/// The row-batch rules the contract documents beyond the reference's codes: a delete carries no
/// row, rows come in commit_seq order, and `pk` is the row's key.
@Suite("Row batch rules")
struct RowBatchRuleTests {
    typealias F = PayloadFixtures

    private func with(rows: [JSONValue], columns: SchemaFingerprint? = F.fingerprint) -> JSONObject {
        var object = F.rowBatch()
        object["rows"] = .array(rows)
        let seqs = rows.compactMap { $0.objectValue?["commit_seq"]?.integerValue }
        object["first_commit_seq"] = .integer(seqs.min() ?? 0)
        object["last_commit_seq"] = .integer(seqs.max() ?? 0)
        if let columns {
            object["schema_columns"] = columns.jsonValue
            object["schema_hash"] = .string(columns.schemaHash)
        } else {
            object["schema_columns"] = nil
        }
        return object
    }

    private func row(_ seq: Int64, _ op: String = "insert", pk: JSONObject, row: JSONValue) -> JSONValue {
        .object(["commit_seq": .integer(seq), "op": .string(op), "pk": .object(pk), "row": row])
    }

    @Test func aDeleteWithARowIsRejected() {
        let batch = with(rows: [
            row(1, "delete", pk: ["id": .integer(1)], row: .object(["id": .integer(1), "mode": .string("idle")]))
        ])
        #expect(F.verdict(batch, .rowBatch) == "row_on_delete")
        #expect(F.verdict(with(rows: [row(1, "delete", pk: ["id": .integer(1)], row: .null)]), .rowBatch) == "ok")
    }

    @Test func rowsGoInCommitSeqOrder() {
        let disordered = with(rows: [
            row(2, pk: ["id": .integer(2)], row: .object(["id": .integer(2)])),
            row(1, pk: ["id": .integer(1)], row: .object(["id": .integer(1)])),
        ])
        #expect(F.verdict(disordered, .rowBatch) == "commit_seq_out_of_order")
        // Equal commit_seqs are one transaction's changes of different rows.
        let sameCommit = with(rows: [
            row(5, pk: ["id": .integer(1)], row: .object(["id": .integer(1)])),
            row(5, pk: ["id": .integer(2)], row: .object(["id": .integer(2)])),
        ])
        #expect(F.verdict(sameCommit, .rowBatch) == "ok")
    }

    @Test func pkMustAgreeWithItsRow() {
        #expect(
            F.verdict(with(rows: [row(1, pk: ["id": .integer(2)], row: .object(["id": .integer(1)]))]), .rowBatch)
                == "pk_row_mismatch"
        )
        // Without schema_columns only the values are compared.
        #expect(
            F.verdict(
                with(rows: [row(1, pk: ["id": .integer(2)], row: .object(["id": .integer(1)]))], columns: nil),
                .rowBatch
            )
                == "pk_row_mismatch"
        )
        #expect(
            F.verdict(with(rows: [row(1, pk: ["id": .integer(1)], row: .object(["id": .double(1.0)]))]), .rowBatch)
                == "ok"
        )
    }

    @Test func pkNamesExactlyTheDeclaredKey() {
        #expect(
            F.verdict(
                with(rows: [
                    row(1, pk: ["mode": .string("idle")], row: .object(["id": .integer(1), "mode": .string("idle")]))
                ]),
                .rowBatch
            )
                == "pk_row_mismatch"
        )
        #expect(
            F.verdict(
                with(rows: [row(1, pk: ["id": .integer(1), "mode": .string("x")], row: .object(["id": .integer(1)]))]),
                .rowBatch
            )
                == "pk_row_mismatch"
        )
    }

    @Test func aTableWithoutAKeyUsesRowid() {
        let keyless = SchemaFingerprint(
            tableName: "device_state",
            columns: [SchemaColumn(name: "reading", declTypeAffinity: .real, pkOrdinal: 0, notNull: false)]
        )
        let rowid = with(
            rows: [row(1, pk: ["rowid": .integer(7)], row: .object(["reading": .double(1.5)]))],
            columns: keyless
        )
        #expect(F.verdict(rowid, .rowBatch) == "ok")
        let named = with(
            rows: [row(1, pk: ["reading": .double(1.5)], row: .object(["reading": .double(1.5)]))],
            columns: keyless
        )
        #expect(F.verdict(named, .rowBatch) == "pk_row_mismatch")
    }
}

import EdgeSyncModels
import Testing

@testable import Server

/// On a typed store a wire value is converted to its column's type only where nothing is lost;
/// anything else fails naming the column. SQLite takes every value as sent.
@Suite("Mirror values")
struct MirrorValueTests {
    static func stored(
        _ value: JSONValue,
        _ affinity: ColumnAffinity,
        strict: Bool = true
    ) throws(MaterializationError)
        -> SQLValue
    {
        try MirrorValue.stored(value, column: "c", affinity: affinity, strict: strict)
    }

    static func rejects(_ value: JSONValue, _ affinity: ColumnAffinity) -> String? {
        do {
            _ = try stored(value, affinity)
            return nil
        } catch {
            return error.description
        }
    }

    @Test("lossless conversions into a typed column")
    func losslessConversions() throws {
        #expect(try Self.stored(.double(3), .integer) == .integer(3))
        #expect(try Self.stored(.string("42"), .integer) == .integer(42))
        #expect(try Self.stored(.string("1e3"), .integer) == .integer(1_000))
        #expect(try Self.stored(.integer(7), .real) == .real(7))
        #expect(try Self.stored(.string("0.1"), .real) == .real(0.1))
        #expect(try Self.stored(.double(0.1), .numeric) == .text("0.1"))
        #expect(try Self.stored(.integer(Int64.max), .numeric) == .text("9223372036854775807"))
        #expect(try Self.stored(.integer(5), .text) == .text("5"))
        #expect(try Self.stored(.bool(true), .integer) == .integer(1))
        #expect(try Self.stored(.object(["$hex": .string("00ff")]), .blob) == .blob([0, 255]))
        #expect(try Self.stored(.null, .integer) == .null)
    }

    @Test("a REAL keeps every digit: its shortest form is what a numeric column receives")
    func realsRoundTrip() throws {
        for number in [0.1 + 0.2, 1e-300, -123_456.789, Double.leastNonzeroMagnitude] {
            guard case .text(let text) = try Self.stored(.double(number), .numeric) else {
                Issue.record("\(number) was not bound as text")
                continue
            }
            #expect(Double(text) == number)
        }
    }

    @Test("values a typed column cannot hold fail naming the column and the value")
    func lossyValuesFail() {
        #expect(Self.rejects(.double(2.5), .integer)?.contains("column c (INTEGER) cannot hold the REAL 2.5") == true)
        #expect(Self.rejects(.string("99999999999999999999"), .integer) != nil)
        #expect(Self.rejects(.string("abc"), .real)?.contains("the text \"abc\"") == true)
        #expect(Self.rejects(.string("nan"), .numeric) != nil)
        #expect(Self.rejects(.string("a\u{0}b"), .text)?.contains("NUL") == true)
        #expect(Self.rejects(.object(["$hex": .string("00")]), .integer)?.contains("a BLOB of 1 bytes") == true)
        #expect(Self.rejects(.object(["$hex": .string("zz")]), .blob)?.contains("not hexadecimal") == true)
    }

    @Test("SQLite takes any value as sent")
    func sqliteTakesValuesAsSent() throws {
        #expect(try Self.stored(.double(2.5), .integer, strict: false) == .real(2.5))
        #expect(try Self.stored(.string("a\u{0}b"), .text, strict: false) == .text("a\u{0}b"))
    }
}

/// An approval's preview computes a staged row's values with the replay's own conversion
/// (`MirrorValue.rowValues`): renamed targets, the key first, and the replay's refusals.
@Suite("Landing preview")
struct LandingPreviewTests {
    static let target = MaterializationTarget(
        kind: .mirror,
        table: "edge_mirror_t",
        columns: [
            .init(source: "mode", target: "state", affinity: .text, pkOrdinal: 0),
            .init(source: "id", target: "id", affinity: .integer, pkOrdinal: 1),
        ]
    )

    static func staged(_ op: RowOperation, pk: JSONObject, row: JSONObject?) -> StagedRow {
        StagedRow(
            id: 1,
            lineageID: "l",
            commitSeq: 1,
            journalEpoch: "e",
            op: op,
            pk: pk,
            row: row,
            reason: .schemaReview,
            schemaHash: "h",
            bytes: 1,
            receivedAt: Timestamp(seconds: 0)
        )
    }

    @Test func rowsLandAsTheReplayWritesThemOrSayWhyNot() {
        let preview = LandingPreview(target: Self.target, strict: true)
        #expect(preview.columns == ["id", "state"])
        let rows = preview.rows([
            Self.staged(.insert, pk: ["id": .integer(7)], row: ["id": .integer(7), "mode": .string("eco")]),
            Self.staged(.delete, pk: ["id": .integer(3)], row: nil),
            Self.staged(.insert, pk: ["id": .integer(8)], row: nil),
            Self.staged(.update, pk: [:], row: ["mode": .string("x")]),
        ])
        #expect(rows[0] == LandingRow(op: .insert, values: ["id": .integer(7), "state": .string("eco")]))
        #expect(rows[1] == LandingRow(op: .delete, values: ["id": .integer(3)]))
        #expect(rows[2].problem == "materialization_permanent: an insert without a row")
        #expect(rows[3].problem == "materialization_permanent: the row has no value for primary-key column id")
    }
}

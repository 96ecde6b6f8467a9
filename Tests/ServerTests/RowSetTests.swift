import EdgeSyncModels
import Foundation
import Testing

@testable import Server

/// Rows bound as a set (`SQLTransaction.rowSet`) land as bound, on the store of the pass:
/// `VALUES` lists on SQLite, one array per column through `unnest` on PostgreSQL.
@Suite("Rows bound as a set")
struct RowSetTests {
    static let columns: [SQLRowSetColumn] = [.integer, .text, .integer, SQLRowSetColumn(.real), SQLRowSetColumn(.blob)]

    /// Edge values of every class, NULLs in each column, and more rows than one `VALUES`
    /// statement binds.
    static let rows: [[SQLValue]] = {
        var rows: [[SQLValue]] = [
            [.integer(0), .text(""), .integer(.min), .real(-0.0), .blob([])],
            [
                .integer(1), .text("naïve ☃ 🚀 \"quoted\" 'single' \\ back"), .integer(.max), .real(1e-300),
                .blob([0, 255]),
            ],
            [.integer(2), .null, .null, .null, .null],
            [
                .integer(3), .text("x"), .integer(-1), .real(.greatestFiniteMagnitude),
                .blob(Array(repeating: 7, count: 300)),
            ],
            [.integer(4), .text(String(repeating: "long ", count: 2_000)), .integer(42), .real(0.1), .null],
        ]
        for id in 5..<8_000 {
            rows.append([
                .integer(Int64(id)), .text("row \(id)"), .integer(Int64(id) * 3), .real(Double(id) / 7), .null,
            ])
        }
        return rows
    }()

    @Test func everyValueLandsAsBoundAndConflictsReturnNothing() async throws {
        let fixture = try await StoreFixture.make()
        let backend = fixture.store.backend
        try await backend.write { tx in
            try tx.execute(
                """
                CREATE TABLE insert_rows_probe (id \(tx.dialect.integerType) PRIMARY KEY, label \(tx.dialect.textType),
                number \(tx.dialect.integerType), real_value \(tx.dialect.columnType(.real)),
                bytes \(tx.dialect.columnType(.blob)))
                """
            )
        }
        let inserted = try await backend.write { tx in
            try tx.rowSet(Self.rows, columns: Self.columns) {
                "INSERT INTO insert_rows_probe \($0) ON CONFLICT DO NOTHING RETURNING id"
            }
        }
        #expect(inserted.count == Self.rows.count)
        let stored = try await backend.read { tx in
            try tx.query("SELECT id, label, number, real_value, bytes FROM insert_rows_probe ORDER BY id")
        }
        #expect(stored.map(\.values) == Self.rows)

        // Half of them again, with other values: nothing is inserted, nothing comes back.
        let again = Self.rows.prefix(4_000).map { [$0[0], .text("changed"), .integer(0), .real(0), .null] }
        let repeated = try await backend.write { tx in
            try tx.rowSet(Array(again), columns: Self.columns) {
                "INSERT INTO insert_rows_probe \($0) ON CONFLICT DO NOTHING RETURNING id"
            }
        }
        #expect(repeated.isEmpty)
        let count = try await backend.read { try $0.value("SELECT COUNT(*) FROM insert_rows_probe") }
        #expect(count == .integer(Int64(Self.rows.count)))
    }

    /// `insertNew` answers nil for rows all new, and otherwise the rows it inserted: those seen
    /// before, and a row repeated within the set after its first time, are left out, in another
    /// statement's chunk too; what was there already stays as it was.
    @Test func insertNewTellsTheRowsItInsertedOnlyWhenSomeWereThere() async throws {
        let fixture = try await StoreFixture.make()
        let backend = fixture.store.backend
        let columns: [SQLRowSetColumn] = [.integer, .text]
        func insertNew(_ rows: [[SQLValue]]) async throws -> [[SQLValue]]? {
            try await backend.write { tx in
                try tx.insertNew(rows, columns: columns, returning: "id, label") {
                    "INSERT INTO insert_new_probe \($0) ON CONFLICT DO NOTHING"
                }?.map(\.values)
            }
        }
        try await backend.write { tx in
            try tx.execute(
                "CREATE TABLE insert_new_probe (id \(tx.dialect.integerType) PRIMARY KEY, label \(tx.dialect.textType))"
            )
        }
        let first = (0..<500).map { [SQLValue.integer(Int64($0)), .text("first \($0)")] }
        #expect(try await insertNew(first) == nil)

        let mixed =
            (400..<700).map { [SQLValue.integer(Int64($0)), .text("second \($0)")] } + [
                [.integer(650), .text("repeated")]
            ]
        let inserted = try #require(try await insertNew(mixed))
        #expect(Set(inserted.map { $0[0] }) == Set((500..<700).map { SQLValue.integer(Int64($0)) }))
        #expect(inserted.count == 200)
        let stored = try await backend.read { tx in
            try tx.query("SELECT id, label FROM insert_new_probe WHERE id IN (0, 450, 650) ORDER BY id").map(\.values)
        }
        #expect(
            stored == [
                [.integer(0), .text("first 0")], [.integer(450), .text("first 450")],
                [.integer(650), .text("second 650")],
            ]
        )
        #expect(try await insertNew(first) == [])
        let count = try await backend.read { try $0.value("SELECT COUNT(*) FROM insert_new_probe") }
        #expect(count == .integer(700))
    }

    /// An integer bound for a text or real column is converted as the column would store it; a
    /// value no cast takes is refused with the store's error, and nothing is written.
    @Test func valuesAreConvertedOrRefusedWhole() async throws {
        let fixture = try await StoreFixture.make()
        let backend = fixture.store.backend
        try await backend.write { tx in
            try tx.execute(
                "CREATE TABLE insert_rows_cast (id \(tx.dialect.integerType) PRIMARY KEY, label \(tx.dialect.textType), real_value \(tx.dialect.columnType(.real)))"
            )
            try tx.rowSet(
                [[.integer(1), .integer(-25), .integer(3)]],
                columns: [.integer, .text, SQLRowSetColumn(.real)]
            ) {
                "INSERT INTO insert_rows_cast \($0)"
            }
        }
        let row = try await backend.read { try $0.query("SELECT label, real_value FROM insert_rows_cast") }
        #expect(row.map(\.values) == [[.text("-25"), .real(3)]])
        guard backend.dialect.strictTypes else { return }
        await #expect(throws: StoreError.self) {
            try await backend.write { tx in
                try tx.rowSet(
                    [[.integer(2), .text("x"), .blob([1])]],
                    columns: [.integer, .text, SQLRowSetColumn(.real)]
                ) {
                    "INSERT INTO insert_rows_cast \($0)"
                }
            }
        }
        #expect(try await backend.read { try $0.value("SELECT COUNT(*) FROM insert_rows_cast") } == .integer(1))
    }

    /// The source stands after `INSERT INTO t (…)`, in `FROM (…) AS v` with its `column1`, … and
    /// in `IN (…)`; a time and a `numeric` go through the dialect's casts.
    @Test func theSourceStandsWhereAQueryDoesWithTheDialectsCasts() async throws {
        let fixture = try await StoreFixture.make()
        let backend = fixture.store.backend
        let dialect = backend.dialect
        let at = Timestamp(ns: 1_764_928_800_123_456_000).sortableDescription
        try await backend.write { tx in
            try tx.execute(
                """
                CREATE TABLE row_set_probe (id \(dialect.integerType) PRIMARY KEY, at \(dialect.timestampType),
                amount \(dialect.columnType(.numeric)))
                """
            )
            try tx.rowSet(
                [[.integer(1), .text(at), .text("2.5")], [.integer(2), .null, .text("7")]],
                columns: [.integer, .timestamp(dialect), SQLRowSetColumn(.numeric, dialect: dialect)]
            ) { "INSERT INTO row_set_probe (id, at, amount) \($0)" }
        }
        let stored = try await backend.read { try $0.query("SELECT id, at, amount FROM row_set_probe ORDER BY id") }
        #expect(stored.map(\.values) == [[.integer(1), .text(at), .real(2.5)], [.integer(2), .null, .integer(7)]])
        let matched = try await backend.read { tx in
            try tx.rowSet(
                [[.integer(70), .integer(2)], [.integer(80), .integer(99)]],
                columns: [.integer, .integer]
            ) {
                "SELECT v.column1, p.amount FROM (\($0)) AS v JOIN row_set_probe p ON p.id = v.column2"
            }
        }
        #expect(matched.map(\.values) == [[.integer(70), .integer(7)]])
        try await backend.write { tx in
            try tx.rowSet([[.integer(1)], [.integer(3)]], columns: [.integer]) {
                "DELETE FROM row_set_probe WHERE id IN (\($0))"
            }
        }
        #expect(try await backend.read { try $0.strings("SELECT CAST(id AS TEXT) FROM row_set_probe") } == ["2"])
    }
}

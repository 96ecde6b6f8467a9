import EdgeSyncModels
import Foundation
import TestSupport
import Testing

@testable import Server

/// What a data team sees with `psql`: an approved lineage's mirror under its usual name, each
/// column typed after its affinity, every value as the device had it; the store URL's
/// `reader_role` may read the mirrors and nothing else of the store.
@Suite("PostgreSQL mirrors seen through psql")
struct PostgresMirrorTests {
    static let readings = SchemaFingerprint(
        tableName: "readings",
        columns: [
            SchemaColumn(name: "id", declTypeAffinity: .integer, pkOrdinal: 1, notNull: true),
            SchemaColumn(name: "value", declTypeAffinity: .real, pkOrdinal: 0, notNull: false),
            SchemaColumn(name: "label", declTypeAffinity: .text, pkOrdinal: 0, notNull: false),
            SchemaColumn(name: "raw", declTypeAffinity: .blob, pkOrdinal: 0, notNull: false),
            SchemaColumn(name: "amount", declTypeAffinity: .numeric, pkOrdinal: 0, notNull: false),
        ]
    )

    @Test func anApprovedMirrorIsTypedAndReadableByTheReaderRoleAlone() async throws {
        let cluster = try await PostgresCluster.shared()
        let role = "data_team_\(UUID().uuidString.prefix(8).lowercased())"
        try await cluster.psql("CREATE ROLE \(role) LOGIN")
        let url = try await cluster.createDatabase() + "&reader_role=\(role)"
        let database = try #require(url.split(separator: "/").last?.split(separator: "?").first.map(String.init))
        let fixture = try await StoreFixture.make(location: try StoreLocation(parsing: url))
        var batch = rowBatch(table: "readings", seqs: 1...2, columns: Self.readings)
        batch["rows"] = .array(
            [
                (1, 0.1, "first", "00FF", JSONValue.double(12.5)), (2, 1e-300, "second", "CAFE", .integer(7)),
            ].map { (id: Int64, value: Double, label: String, raw: String, amount: JSONValue) in
                .object([
                    "commit_seq": .integer(id), "op": .string("insert"), "pk": .object(["id": .integer(id)]),
                    "row": .object([
                        "id": .integer(id), "value": .double(value), "label": .string(label),
                        "raw": .object(["$hex": .string(raw)]), "amount": amount,
                    ]),
                ])
            }
        )
        #expect(try await fixture.ingest(batch, .rowBatch).outcome == .staged)
        try await fixture.approveFirstReview(mirroring: Self.readings)
        while try await fixture.store.replayStep(limit: 100, now: .now).replayed > 0 {}
        let lineages = try await fixture.store.lineages(
            projectID: fixture.projectID,
            filter: LineageFilter(),
            page: PageRequest()
        )
        let mirror = try #require(lineages.items.first?.mirrorTable)

        let types = try await cluster.psql(
            """
            SELECT column_name || ' ' || data_type FROM information_schema.columns
            WHERE table_name = '\(mirror)' ORDER BY ordinal_position
            """,
            database: database
        )
        let typed = Set(types.split(separator: "\n").map(String.init))
        #expect(
            typed.isSuperset(of: [
                "id bigint", "value double precision", "label text", "raw bytea", "amount numeric",
                "_updated_at timestamp with time zone",
            ]),
            "\(types)"
        )
        let rows = try await cluster.psql(
            #"SELECT id, value::text, label, encode(raw, 'hex'), amount FROM "\#(mirror)" ORDER BY id"#,
            database: database,
            user: role
        )
        #expect(rows == "1|0.1|first|00ff|12.5\n2|1e-300|second|cafe|7\n")
        await #expect(throws: ProcessRunner.Failure.self) {
            try await cluster.psql("SELECT * FROM server_secret", database: database, user: role)
        }
        await fixture.store.close()
    }
}

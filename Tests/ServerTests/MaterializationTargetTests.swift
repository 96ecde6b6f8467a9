import EdgeSyncModels
import GRDB
import Testing

@testable import Server

/// Names with quotes and spaces make valid, exact DDL.
@Suite("Materialization target")
struct MaterializationTargetTests {
    @Test func awkwardNamesMakeValidTables() throws {
        let target = MaterializationTarget(
            kind: .mirror,
            table: #"edge_mirror_"odd" table"#,
            columns: [
                .init(source: "id", target: "id", affinity: .integer, pkOrdinal: 1),
                .init(source: #"say "hi""#, target: #"say "hi""#, affinity: .text, pkOrdinal: 0),
            ]
        )
        let database = try DatabaseQueue()
        try database.write { db in
            for statement in SQLiteDialect().createStatements(target) { try db.execute(sql: statement) }
            let columns = try Row.fetchAll(db, sql: "PRAGMA table_info(\(SQLIdentifier.quote(target.table)))").map {
                $0["name"] as String
            }
            #expect(columns.contains(#"say "hi""#) && columns.contains("id"))
        }
    }
}

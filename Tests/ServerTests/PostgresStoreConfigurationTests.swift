import EdgeSyncModels
import Testing

@testable import Server

/// The store URL, the `?` → `$n` rewrite and identifier fitting: pure, no database.
@Suite("PostgreSQL store settings and SQL")
struct PostgresStoreConfigurationTests {
    @Test func aURLWithEverySettingReadsBack() throws {
        let configuration = try PostgresStoreConfiguration(
            url:
                "postgresql://edge%40sync:p%2Fss@db.example.com:6432/edge_sync?pool_size=16&sslmode=verify-full&lock_timeout_ms=500&reader_role=data_team"
        )
        #expect(configuration.username == "edge@sync" && configuration.password == "p/ss")
        #expect(configuration.host == "db.example.com" && configuration.port == 6432)
        #expect(configuration.database == "edge_sync" && configuration.poolSize == 16)
        #expect(configuration.tls == .verifyFull && configuration.lockTimeoutMilliseconds == 500)
        #expect(configuration.readerRole == "data_team")
        #expect(try PostgresStoreConfiguration(url: configuration.url) == configuration)
        #expect(configuration.description == "postgres://edge@sync:***@db.example.com:6432/edge_sync")
    }

    @Test func defaultsAreDocumented() throws {
        let configuration = try PostgresStoreConfiguration(url: "postgres://edgesync@localhost/edgesync")
        #expect(configuration.port == 5432 && configuration.poolSize == 10 && configuration.tls == .prefer)
        #expect(configuration.lockTimeoutMilliseconds == 2_000 && configuration.readerRole == nil)
    }

    @Test(arguments: [
        ("mysql://u@h/d", "not a PostgreSQL URL"),
        ("postgres://h/d", "the user is missing"),
        ("postgres://u@h/", "the database name is missing"),
        ("postgres://u@h/d?pool_size=0", "pool_size must be an integer from 1 to 200"),
        ("postgres://u@h/d?sslmode=maybe", "sslmode must be one of"),
        ("postgres://u@h/d?lock_timeout_ms=-1", "lock_timeout_ms must be ≥ 1"),
        ("postgres://u@h/d?reader_role=", "reader_role must be a role name"),
        ("postgres://u@h/d?poolsize=3", "unknown setting poolsize"),
    ])
    func badURLsSayWhatIsWrongWithoutThePassword(url: String, problem: String) {
        #expect {
            try PostgresStoreConfiguration(url: url.replacingOccurrences(of: "u@", with: "u:secret@"))
        } throws: { error in
            let message = "\(error)"
            return message.contains(problem) && !message.contains("secret")
        }
    }

    @Test func placeholdersAreNumberedOutsideQuotes() {
        #expect(
            PostgresPlaceholders.numbered(#"SELECT '?', "a?b", x FROM t WHERE a = ? AND b IN (?, ?)"#)
                == #"SELECT '?', "a?b", x FROM t WHERE a = $1 AND b IN ($2, $3)"#
        )
    }

    @Test func longTargetNamesAreCutWithAHashOfTheWholeName() {
        let dialect = PostgresDialect()
        let short = "edge_mirror_0a1b2c3d_orders"
        #expect(dialect.fitting(short) == short)
        let first = "edge_mirror_0a1b2c3d_" + String(repeating: "a", count: 40) + "_11111111"
        let second = "edge_mirror_0a1b2c3d_" + String(repeating: "a", count: 40) + "_22222222"
        #expect(dialect.fitting(first).utf8.count == 63 && dialect.fitting(second).utf8.count == 63)
        #expect(dialect.fitting(first) != dialect.fitting(second))
        #expect(dialect.fitting(first).hasPrefix("edge_mirror_0a1b2c3d_aaaa"))
    }

    @Test func theReaderRoleIsGrantedEachNewTargetOnly() {
        let dialect = PostgresDialect(readerRole: "data team")
        #expect(dialect.grantRead(on: "edge_mirror_x") == #"GRANT SELECT ON "edge_mirror_x" TO "data team""#)
        #expect(PostgresDialect().grantRead(on: "edge_mirror_x") == nil)
        #expect(dialect.boundedLockWait == "SET LOCAL lock_timeout = 2000")
    }
}

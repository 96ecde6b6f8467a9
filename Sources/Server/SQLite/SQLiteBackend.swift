import EdgeSyncModels
import Foundation
import GRDB

/// The store on one SQLite file in WAL mode, through GRDB: one writer, a pool of readers.
public final class SQLiteBackend: SQLBackend {
    let pool: DatabasePool
    public let dialect: any SQLDialect = SQLiteDialect()
    private let group: SQLiteGroupCommit
    private let checkpointer: SQLiteCheckpointer
    private let statements = SQLiteStatementCache()

    /// Opens (creating if needed) the database at `path` and runs pending migrations.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // Debian's SQLite zeroes freed pages and writes them out again (secure_delete on):
            // FAST still zeroes deleted content, but only where no page is written for it. A
            // replay, which deletes what it materializes, made 20 % fewer writes.
            try db.execute(sql: "PRAGMA secure_delete = FAST")
        }
        try SQLiteVFS.install()
        pool = try DatabasePool(path: path, configuration: configuration)
        try pool.writeWithoutTransaction { db in
            // A PUBACK promises the batch is durable: FULL syncs the WAL at every commit, so a
            // committed batch survives a power cut, not only a process crash. Set here: GRDB sets
            // the writer to NORMAL when it sets up WAL mode, after `prepareDatabase`, and with
            // NORMAL a commit reaches the disk only at the next checkpoint.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // GRDB's WAL set-up has read the file, so the writer's WAL is open.
            try SQLiteVFS.coalesceWAL(db)
        }
        try SQLiteMigrations.migrator().migrate(pool)
        checkpointer = try SQLiteCheckpointer(pool: pool)
        group = SQLiteGroupCommit(pool: pool, dialect: dialect, statements: statements, checkpointer: checkpointer)
    }

    @discardableResult
    public func write<T: Sendable>(_ body: @escaping @Sendable (any SQLTransaction) throws -> T) async throws -> T {
        let (dialect, statements) = (self.dialect, self.statements)
        let result: T
        do {
            result = try await pool.write { db in
                try body(SQLiteTransaction(db: db, dialect: dialect, statements: statements))
            }
        } catch {
            throw dialect.storeError(error)
        }
        await checkpointer.afterWrite()
        return result
    }

    /// Many ingest commits share one fsync (see `SQLiteGroupCommit`).
    public func groupWrite<T: Sendable>(_ body: @escaping @Sendable (any SQLTransaction) throws -> T) async throws -> T
    {
        try await group.write(body)
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLTransaction) throws -> T) async throws -> T {
        let dialect = self.dialect
        do {
            return try await pool.read { db in try body(SQLiteTransaction(db: db, dialect: dialect)) }
        } catch {
            throw dialect.storeError(error)
        }
    }

    public func probe() async -> Bool {
        (try? await read { try $0.value("SELECT 1") }) != nil
    }

    /// GRDB closes the file when the pool goes away.
    public func close() async {}

    /// A direct look at the file, for tests of its indexes and query plans.
    func inspect<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.read(body)
    }
}

/// A GRDB database access as an `SQLTransaction`. Statements with bound values are prepared once
/// per connection and reused (their SQL repeats row after row), and run on SQLite's C API.
struct SQLiteTransaction: SQLTransaction {
    let db: Database
    let dialect: any SQLDialect
    /// The writer's multi-row statements; nil on a reader.
    var statements: SQLiteStatementCache? = nil
    let lockRows = ""
    let claimRows = ""

    func execute(_ sql: String, _ binds: [SQLValue]) throws -> Int {
        guard !binds.isEmpty else {
            // Unbound SQL may hold several statements (DDL): GRDB runs those.
            try db.execute(sql: sql)
            return db.changesCount
        }
        return try SQLiteStatementRun(db, sql: sql, leading: binds, large: statements).execute()
    }

    func query(_ sql: String, _ binds: [SQLValue]) throws -> [SQLRow] {
        try SQLiteStatementRun(db, sql: sql, leading: binds, large: statements).rows()
    }

    func query(_ sql: String, leading: [SQLValue], rows: ArraySlice<[SQLValue]>) throws -> [SQLRow] {
        try SQLiteStatementRun(db, sql: sql, leading: leading, rows: rows, large: statements).rows()
    }

    func execute(_ sql: String, leading: [SQLValue], rows: ArraySlice<[SQLValue]>) throws -> Int {
        try SQLiteStatementRun(db, sql: sql, leading: leading, rows: rows, large: statements).execute()
    }

    func columns(of table: String) throws -> [SQLColumn] {
        guard try db.tableExists(table) else { return [] }
        return try db.columns(in: table).map {
            SQLColumn(name: $0.name, type: $0.type, primaryKeyPosition: $0.primaryKeyIndex)
        }
    }

    /// RETURNING made SQLite gather the inserted rows in a temporary table and the store decode
    /// them: a third of the dedup insert of a 512 KiB row batch (profiled with `perf`), to learn
    /// in almost every batch that all its rows are new. So the rows go in without it, in a
    /// savepoint; only when some were there already is that undone and the insert run again
    /// with it.
    func insertNew(
        _ rows: [[SQLValue]],
        columns: [SQLRowSetColumn],
        returning: String,
        _ insert: (String) -> String
    ) throws -> [SQLRow]? {
        struct SomeSeenBefore: Error {}
        do {
            try savepoint {
                if try rowSetExecute(rows, columns: columns, insert) < rows.count { throw SomeSeenBefore() }
            }
            return nil
        } catch is SomeSeenBefore {
            return try rowSet(rows, columns: columns) { insert($0) + " RETURNING " + returning }
        }
    }

    func savepoint<T>(_ body: () throws -> T) throws -> T {
        var result: T?
        try db.inSavepoint {
            result = try body()
            return .commit
        }
        guard let result else { throw StoreError(.internal, "a savepoint ended without a result") }
        return result
    }
}

/// SQLite's side of the store's SQL: affinity names as column types, times as ISO text that
/// sorts, `instr`, `rowid`, and the result codes that go away by themselves.
struct SQLiteDialect: SQLDialect {
    let name = "sqlite"

    func columnType(_ affinity: ColumnAffinity) -> String { affinity.rawValue }

    let textType = "TEXT"
    let integerType = "INTEGER"
    let timestampType = "TEXT"

    func timestamp(_ placeholder: String) -> String { placeholder }

    func bound(_ placeholder: String, as affinity: ColumnAffinity) -> String { placeholder }

    let strictTypes = false

    let currentTimeNanoseconds = "CAST((julianday('now') - 2440587.5) * 86400000000000.0 AS INTEGER)"

    let notifyStatement: String? = nil
    let boundedLockWait: String? = nil
    let indexOrder: (prefer: String, restore: String)? = nil
    func grantRead(on table: String) -> String? { nil }

    func greatest(_ first: String, _ second: String) -> String { "MAX(\(first), \(second))" }

    func contains(column: String) -> String { "instr(\(column), ?) > 0" }

    let seriesInsertionOrder = "rowid"

    /// Profiled: parsing a statement of thousands of rows for every batch took about a third of
    /// the writer's time.
    let bulkRowsPerStatement: Int? = 64

    let maximumIdentifierLength = 1_000_000
    /// SQLite's compiled-in `SQLITE_MAX_COLUMN`.
    let maximumColumnCount = 2000

    func isTransient(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return [.SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_NOMEM].contains(error.resultCode)
    }

    /// One writer: transactions commit in the order their ids were taken.
    func events(after since: Int64) -> (condition: String, binds: [SQLValue], order: String) {
        ("id > ?", [.integer(since)], "id")
    }

    func message(of error: any Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "\(error.resultCode)" }
        if let error = error as? StoreError { return error.message }
        return "\(error)"
    }
}

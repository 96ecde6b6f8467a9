/// One transaction on a store's database: statements with `?` placeholders and bound values. The
/// store's SQL is written once against it; a backend supplies the connection and its dialect.
public protocol SQLTransaction {
    var dialect: any SQLDialect { get }

    /// Appended to a SELECT of rows the transaction goes on to change: ` FOR UPDATE` in a write
    /// transaction of a database that locks rows, so that concurrent writers of those rows (other
    /// replicas) take turns; empty where one writer at a time already serializes them (SQLite),
    /// and in a read.
    var lockRows: String { get }

    /// ` FOR UPDATE SKIP LOCKED`: like `lockRows`, but rows another transaction holds are passed
    /// over, so that replicas claim different work.
    var claimRows: String { get }

    /// Runs a statement; returns the number of rows it changed.
    @discardableResult
    func execute(_ sql: String, _ binds: [SQLValue]) throws -> Int

    /// Runs a query; returns its rows.
    func query(_ sql: String, _ binds: [SQLValue]) throws -> [SQLRow]

    /// Runs a multi-row statement bound with `leading` and then each row's values in order,
    /// without gathering them into one list first where the database can bind them in place.
    func query(_ sql: String, leading: [SQLValue], rows: ArraySlice<[SQLValue]>) throws -> [SQLRow]

    /// `query(_:leading:rows:)` for a statement that returns no rows; returns the rows it changed.
    func execute(_ sql: String, leading: [SQLValue], rows: ArraySlice<[SQLValue]>) throws -> Int

    /// Runs `sql(source)` over `rows` (each with a value per column, in order), where `source`
    /// is the rows as a query whose columns are `column1`, `column2`, …: it follows
    /// `INSERT INTO t (…)`, or stands in `IN (…)` or `FROM (…) AS v`. It is `VALUES (?, …), …` in
    /// `bulk`'s chunks or, where the database binds arrays, one `SELECT` over an array per column:
    /// a statement of the same small text however many rows it takes. Returns every row the
    /// statements return.
    @discardableResult
    func rowSet(_ rows: [[SQLValue]], columns: [SQLRowSetColumn], _ sql: (String) -> String) throws -> [SQLRow]

    /// Inserts `rows` with `insert(source)`, an `INSERT … ON CONFLICT DO NOTHING` over
    /// `rowSet`'s source, and tells which it inserted: nil when it inserted every row, else the
    /// `returning` columns of the rows it did.
    func insertNew(
        _ rows: [[SQLValue]],
        columns: [SQLRowSetColumn],
        returning: String,
        _ insert: (String) -> String
    ) throws -> [SQLRow]?

    /// A table's columns in order, with their declared types and key positions; empty when the
    /// table does not exist.
    func columns(of table: String) throws -> [SQLColumn]

    /// Runs `body` in a savepoint: its changes are undone when it throws, the transaction goes on.
    func savepoint<T>(_ body: () throws -> T) throws -> T
}

/// A column of a table as the database describes it.
public struct SQLColumn: Sendable, Hashable {
    public var name: String
    public var type: String
    /// Position in the primary key from 1; 0 when not in it.
    public var primaryKeyPosition: Int

    public init(name: String, type: String, primaryKeyPosition: Int) {
        self.name = name
        self.type = type
        self.primaryKeyPosition = primaryKeyPosition
    }
}

extension SQLTransaction {
    @discardableResult
    public func execute(_ sql: String) throws -> Int { try execute(sql, []) }

    /// Runs `body`'s queries reading indexes in their order (`SQLDialect.indexOrder`).
    public func inIndexOrder<T>(_ body: () throws -> T) throws -> T {
        guard let order = dialect.indexOrder else { return try body() }
        try execute(order.prefer)
        let result = try body()
        try execute(order.restore)
        return result
    }

    /// One statement over many rows: `sql(n)` is the statement for `n` rows, bound with `leading`
    /// and then each row's values in order, in chunks within the databases' limits on bound
    /// values and of the dialect's `bulkRowsPerStatement`; returns every row the statements
    /// return.
    @discardableResult
    public func bulk(_ rows: [[SQLValue]], leading: [SQLValue] = [], _ sql: (Int) -> String) throws -> [SQLRow] {
        var result: [SQLRow] = []
        try chunked(rows, leading: leading, sql) { result += try query($0, leading: leading, rows: $1) }
        return result
    }

    /// `bulk` for a statement that returns no rows; returns the rows the statements changed.
    @discardableResult
    public func bulkExecute(_ rows: [[SQLValue]], leading: [SQLValue] = [], _ sql: (Int) -> String) throws -> Int {
        var changed = 0
        try chunked(rows, leading: leading, sql) { changed += try execute($0, leading: leading, rows: $1) }
        return changed
    }

    /// Calls `run` with each chunk's statement and rows.
    private func chunked(
        _ rows: [[SQLValue]],
        leading: [SQLValue],
        _ sql: (Int) -> String,
        _ run: (String, ArraySlice<[SQLValue]>) throws -> Void
    ) throws {
        guard let width = rows.first?.count else { return }
        var statements: [Int: String] = [:]
        let chunks = BulkSQL.chunks(
            rows.count,
            width: width,
            leading: leading.count,
            rowsPerStatement: dialect.bulkRowsPerStatement
        )
        for chunk in chunks {
            let statement = statements[chunk.count] ?? sql(chunk.count)
            statements[chunk.count] = statement
            try run(statement, rows[chunk])
        }
    }

    @discardableResult
    public func rowSet(_ rows: [[SQLValue]], columns: [SQLRowSetColumn], _ sql: (String) -> String) throws -> [SQLRow] {
        try bulk(rows) { sql(Self.rowSetValues($0, columns: columns)) }
    }

    /// `rowSet` for a statement that returns no rows, in `bulk`'s chunks; returns the rows the
    /// statements changed.
    public func rowSetExecute(_ rows: [[SQLValue]], columns: [SQLRowSetColumn], _ sql: (String) -> String) throws -> Int
    {
        try bulkExecute(rows) { sql(Self.rowSetValues($0, columns: columns)) }
    }

    /// `VALUES (?, …), …` for `count` rows of `columns`.
    private static func rowSetValues(_ count: Int, columns: [SQLRowSetColumn]) -> String {
        "VALUES " + BulkSQL.values("(" + columns.map { $0.expression("?") }.joined(separator: ", ") + ")", rows: count)
    }

    public func insertNew(
        _ rows: [[SQLValue]],
        columns: [SQLRowSetColumn],
        returning: String,
        _ insert: (String) -> String
    ) throws -> [SQLRow]? {
        let inserted = try rowSet(rows, columns: columns) { insert($0) + " RETURNING " + returning }
        return inserted.count == rows.count ? nil : inserted
    }

    public func query(_ sql: String) throws -> [SQLRow] { try query(sql, []) }

    public func query(_ sql: String, leading: [SQLValue], rows: ArraySlice<[SQLValue]>) throws -> [SQLRow] {
        try query(sql, leading + rows.joined())
    }

    public func execute(_ sql: String, leading: [SQLValue], rows: ArraySlice<[SQLValue]>) throws -> Int {
        try execute(sql, leading + rows.joined())
    }

    public func first(_ sql: String, _ binds: [SQLValue] = []) throws -> SQLRow? { try query(sql, binds).first }

    /// The first column of the first row.
    public func value(_ sql: String, _ binds: [SQLValue] = []) throws -> SQLValue? {
        try first(sql, binds)?.values.first
    }

    public func exists(_ sql: String, _ binds: [SQLValue] = []) throws -> Bool { try first(sql, binds) != nil }

    public func strings(_ sql: String, _ binds: [SQLValue] = []) throws -> [String] {
        try query(sql, binds).compactMap { $0.values.first?.text }
    }

    public func tableExists(_ table: String) throws -> Bool { try !columns(of: table).isEmpty }

    /// The table's primary-key columns in key order.
    public func primaryKey(of table: String) throws -> [String] {
        try columns(of: table).filter { $0.primaryKeyPosition > 0 }.sorted {
            $0.primaryKeyPosition < $1.primaryKeyPosition
        }
        .map(\.name)
    }
}

/// A database the store runs on: transactions to write (one writer at a time for SQLite; row
/// locks for a server database) and to read (a consistent snapshot), and its dialect.
public protocol SQLBackend: Sendable {
    var dialect: any SQLDialect { get }

    @discardableResult
    func write<T: Sendable>(_ body: @escaping @Sendable (any SQLTransaction) throws -> T) async throws -> T

    /// A write that may share its transaction and COMMIT with others arriving at the same time,
    /// each in a savepoint of its own (a body that throws undoes only its own changes). Answered
    /// after the COMMIT, like `write`.
    func groupWrite<T: Sendable>(_ body: @escaping @Sendable (any SQLTransaction) throws -> T) async throws -> T

    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLTransaction) throws -> T) async throws -> T

    /// Whether the database answers now, within a couple of seconds and without retries.
    func probe() async -> Bool

    /// Releases the connections; the backend is not used afterwards.
    func close() async
}

extension SQLBackend {
    /// A server database runs concurrent transactions and syncs their commits together itself.
    public func groupWrite<T: Sendable>(_ body: @escaping @Sendable (any SQLTransaction) throws -> T) async throws -> T
    {
        try await write(body)
    }
}

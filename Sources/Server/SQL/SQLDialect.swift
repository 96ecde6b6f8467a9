import EdgeSyncModels

/// What differs between the databases the store runs on. The store's SQL is otherwise written
/// once: `?` placeholders, `ON CONFLICT (…) DO …`, `RETURNING`, row-value comparisons.
public protocol SQLDialect: Sendable {
    /// `sqlite`, `postgresql`.
    var name: String { get }

    /// The column type of an affinity in a target (a mirror or a series).
    func columnType(_ affinity: ColumnAffinity) -> String

    /// The type of the platform columns: text, 64-bit integers, times (nanoseconds or ISO text).
    var textType: String { get }
    var integerType: String { get }
    /// `_updated_at` and `event_ts`.
    var timestampType: String { get }
    /// How a time bound as RFC 3339 text is written into a `timestampType` column.
    func timestamp(_ placeholder: String) -> String

    /// How a value bound (at `placeholder`) for a target column of `affinity` is written: a cast
    /// where the bound type is not the column's.
    func bound(_ placeholder: String, as affinity: ColumnAffinity) -> String

    /// Whether a target column holds only values of its type: true on a typed database, where a
    /// value that does not fit (text in an INTEGER column) is refused; SQLite keeps any value.
    var strictTypes: Bool { get }

    /// The database's clock in nanoseconds since the Unix epoch: one clock for every replica.
    var currentTimeNanoseconds: String { get }

    /// A statement that wakes the other replicas at COMMIT (`channel`, `payload` bound), or nil
    /// where the store has one server.
    var notifyStatement: String? { get }

    /// A statement that bounds how long the rest of the transaction waits for a lock, run before
    /// an approval's DDL: DDL queued behind a busy mirror would stall every write queued behind
    /// it, so it gives up instead and the approval is retried. Nil where writers never queue.
    var boundedLockWait: String? { get }

    /// A statement that has the rest of a transaction read an index in its order where the index
    /// provides an `ORDER BY … LIMIT`, and one that undoes it; nil where the planner does so by
    /// itself. The replay needs it: without statistics for a backlog staged moments ago,
    /// PostgreSQL estimated a few hundred rows and sorted the whole backlog for every chunk
    /// (43 ms for 2,000 rows of 100,000, against 1 ms from the index).
    var indexOrder: (prefer: String, restore: String)? { get }

    /// A statement that lets the data team's read-only role read a new target, or nil.
    func grantRead(on table: String) -> String?

    /// The greater of two expressions.
    func greatest(_ first: String, _ second: String) -> String

    /// True when `column` (text) contains the bound value.
    func contains(column: String) -> String

    /// The order of a series' rows after `event_ts`: the insertion order.
    var seriesInsertionOrder: String { get }

    /// The most rows a multi-row statement of `SQLTransaction.bulk` takes, or nil for as many as
    /// the bound values allow. Where statements are prepared and kept by the store (SQLite), a
    /// few sizes that repeat beat one large statement parsed for every call; where each costs a
    /// round trip (PostgreSQL), the fewest statements win.
    var bulkRowsPerStatement: Int? { get }

    /// The longest identifier the database keeps whole.
    var maximumIdentifierLength: Int { get }

    /// The most columns a table may have.
    var maximumColumnCount: Int { get }

    /// Whether an error goes away by itself (the database was busy, locked, full or cut off), so
    /// the rows are staged for a retry rather than counted against the breaker.
    func isTransient(_ error: any Error) -> Bool

    /// A failure as an operator may read it: the database's message, never a stack or the SQL.
    func message(of error: any Error) -> String

    /// Events after the one with id `since`, in the order their transactions committed, and that
    /// order: the condition and its values. A reader that follows it never skips an event that
    /// committed after one it has already read.
    func events(after since: Int64) -> (condition: String, binds: [SQLValue], order: String)
}

extension SQLDialect {
    /// A failure as the store reports it: a `StoreError` as it is; the database's own errors as
    /// `unavailable` when they go away by themselves, else `internal` with the database's message.
    public func storeError(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        return isTransient(error)
            ? StoreError(.unavailable, "the store is busy or cut off; retry: \(message(of: error))")
            : StoreError(.internal, "the store failed: \(message(of: error))")
    }

    /// The columns the platform adds to every target of a kind, with their definitions.
    public func platformColumns(_ kind: MaterializationTarget.Kind) -> [String] {
        switch kind {
        case .mirror:
            [
                "\"_device_id\" \(textType) NOT NULL", "\"_journal_epoch\" \(textType) NOT NULL",
                "\"_commit_seq\" \(integerType) NOT NULL", "\"_updated_at\" \(timestampType) NOT NULL",
                "\"_cloud_version\" \(integerType) NOT NULL DEFAULT 0",
            ]
        case .series:
            ["\"device_id\" \(textType) NOT NULL", "\"event_ts\" \(timestampType) NOT NULL", "\"row_id\" \(textType)"]
        }
    }

    /// `CREATE TABLE` (and index) statements for a new target.
    public func createStatements(_ target: MaterializationTarget) -> [String] {
        let quoted = SQLIdentifier.quote(target.table)
        let data = target.columns.map { "\(SQLIdentifier.quote($0.target)) \(columnType($0.affinity))" }
        let columns = (platformColumns(target.kind) + data).joined(separator: ", ")
        switch target.kind {
        case .mirror:
            let key = target.primaryKey.map(SQLIdentifier.quote).joined(separator: ", ")
            return ["CREATE TABLE \(quoted) (\(columns), PRIMARY KEY (\(key)))"]
        case .series:
            // Indexes share the tables' namespace: `idx_` starts no table name, so a device's
            // table `foo_by_time` can never collide with the index of its table `foo`.
            let index = SQLIdentifier.quote("idx_" + target.table + "_by_time")
            return [
                "CREATE TABLE \(quoted) (\(columns))",
                "CREATE INDEX \(index) ON \(quoted) (\"device_id\", \"event_ts\")",
            ]
        }
    }

    /// `ALTER TABLE … ADD COLUMN` for target columns the existing table lacks: a re-approval adds
    /// columns and never drops or retypes one, so no mirrored data is lost.
    public func addColumnStatements(_ target: MaterializationTarget, existing: Set<String>) -> [String] {
        target.columns.filter { !existing.contains($0.target) }.map {
            "ALTER TABLE \(SQLIdentifier.quote(target.table)) ADD COLUMN \(SQLIdentifier.quote($0.target)) \(columnType($0.affinity))"
        }
    }

    /// Copies `columns` of every row of `source` into `target`; a row whose `key` (a mirror's
    /// primary key; nil for a series) is there already is replaced.
    public func copyRows(from source: String, into target: String, columns: [String], key: [String]?) -> String {
        let list = columns.map(SQLIdentifier.quote).joined(separator: ", ")
        let insert =
            "INSERT INTO \(SQLIdentifier.quote(target)) (\(list)) SELECT \(list) FROM \(SQLIdentifier.quote(source))"
        guard let key, !key.isEmpty else { return insert }
        let updates = columns.filter { !key.contains($0) }.map {
            "\(SQLIdentifier.quote($0)) = excluded.\(SQLIdentifier.quote($0))"
        }
        let conflict = key.map(SQLIdentifier.quote).joined(separator: ", ")
        // `WHERE true` keeps SQLite's parser from reading `ON` as the SELECT's join constraint.
        return insert + " WHERE true ON CONFLICT (\(conflict)) "
            + (updates.isEmpty ? "DO NOTHING" : "DO UPDATE SET \(updates.joined(separator: ", "))")
    }

    /// The DDL an approval runs for `target` on a table with `existing` columns (none: it is new).
    /// A target's name as the database keeps it whole: a derived name past the limit (long source
    /// tables on PostgreSQL) is cut and given a hash of the whole name, so that two names sharing
    /// their beginning stay apart instead of being cut to one table by the database.
    public func fitting(_ identifier: String) -> String {
        guard identifier.utf8.count > maximumIdentifierLength else { return identifier }
        let suffix = "_" + SHA256Hex.digest(Array(identifier.utf8)).prefix(8)
        return String(decoding: identifier.utf8.prefix(maximumIdentifierLength - suffix.utf8.count), as: UTF8.self)
            + suffix
    }

    public func provisioning(_ target: MaterializationTarget, existing: [SQLColumn]) -> [String] {
        guard existing.isEmpty else { return addColumnStatements(target, existing: Set(existing.map(\.name))) }
        return createStatements(target) + (grantRead(on: target.table).map { [$0] } ?? [])
    }
}

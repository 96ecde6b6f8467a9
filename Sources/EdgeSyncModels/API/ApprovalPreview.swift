/// What approving with the previewed actions would do, on the server's database and to the rows
/// staged now: the DDL, the first staged rows as they would land, and what stops being updated.
public struct ApprovalPreview: Codable, Sendable, Hashable {
    /// The table the approval creates or extends.
    public var targetTable: String
    /// The table exists already (a re-approval, or a shared target): the statements extend it.
    public var targetExists: Bool
    /// The DDL the approval runs, in order; empty when the target already has every column.
    public var statements: [String]
    /// The server's database (`sqlite`, `postgresql`): the dialect of the statements.
    public var dialect: String
    /// The target columns the approval writes, in the order of `landing` values: `event_ts`
    /// first for a series.
    public var columns: [String]
    /// The first staged rows in replay order, as the replay would write them.
    public var landing: [LandingRow]
    /// Staged rows the replay would take in all (of the lineage, or of every lineage waiting
    /// on a registry entry).
    public var stagedRows: Int64
    /// Columns of the existing target that these actions no longer write (stopped or renamed):
    /// they stay, with the values they hold, and are no longer updated.
    public var staleColumns: [String]

    public init(
        targetTable: String,
        targetExists: Bool,
        statements: [String],
        dialect: String,
        columns: [String] = [],
        landing: [LandingRow] = [],
        stagedRows: Int64 = 0,
        staleColumns: [String] = []
    ) {
        self.targetTable = targetTable
        self.targetExists = targetExists
        self.statements = statements
        self.dialect = dialect
        self.columns = columns
        self.landing = landing
        self.stagedRows = stagedRows
        self.staleColumns = staleColumns
    }

    enum CodingKeys: String, CodingKey {
        case targetTable = "target_table"
        case targetExists = "target_exists"
        case statements
        case dialect
        case columns
        case landing
        case stagedRows = "staged_rows"
        case staleColumns = "stale_columns"
    }
}

/// One staged row as an approval's replay would write it into the target.
public struct LandingRow: Codable, Sendable, Hashable {
    /// A rows lineage's change; nil for a series sample.
    public var op: RowOperation?
    /// Target column → the value as stored (BLOBs as `{"$hex": …}`); a delete holds only the key.
    public var values: JSONObject
    /// Why the row would not land (it would stay staged as `materialization_failed`).
    public var problem: String?

    public init(op: RowOperation?, values: JSONObject, problem: String? = nil) {
        self.op = op
        self.values = values
        self.problem = problem
    }
}

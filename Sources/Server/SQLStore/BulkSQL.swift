/// Multi-row statements: one statement for many rows, in chunks that stay within the databases'
/// limits on bound values (SQLite 32,766, PostgreSQL 65,535).
enum BulkSQL {
    static let maximumBinds = 30_000

    /// The row ranges of `count` rows of `width` values each (after `leading` values shared by
    /// the statement), one statement per range.
    static func chunks(_ count: Int, width: Int, leading: Int = 0) -> [Range<Int>] {
        let size = max(1, (maximumBinds - leading) / max(width, 1))
        return stride(from: 0, to: count, by: size).map { $0..<min($0 + size, count) }
    }

    /// `tuple, tuple, …`: `rows` copies of one row's placeholders, such as `(?, ?)`.
    static func values(_ tuple: String, rows: Int) -> String {
        Array(repeating: tuple, count: rows).joined(separator: ", ")
    }

    /// `(?, ?, …)` with `count` placeholders.
    static func tuple(_ count: Int) -> String {
        "(" + Array(repeating: "?", count: count).joined(separator: ", ") + ")"
    }
}

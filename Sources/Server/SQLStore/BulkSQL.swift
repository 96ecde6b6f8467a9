/// Multi-row statements: one statement for many rows, in chunks that stay within the databases'
/// limits on bound values (SQLite 32,766, PostgreSQL 65,535).
enum BulkSQL {
    static let maximumBinds = 30_000

    /// The row ranges of `count` rows of `width` values each (after `leading` values shared by
    /// the statement), one statement per range. With `rowsPerStatement`, ranges hold that many
    /// rows and the rest is cut into powers of two, so that a handful of statement sizes repeat
    /// and stay prepared instead of one statement of a new size to parse for every call.
    static func chunks(_ count: Int, width: Int, leading: Int = 0, rowsPerStatement: Int? = nil) -> [Range<Int>] {
        let fitting = max(1, (maximumBinds - leading) / max(width, 1))
        guard let rowsPerStatement else {
            return stride(from: 0, to: count, by: fitting).map { $0..<min($0 + fitting, count) }
        }
        let size = min(fitting, max(1, rowsPerStatement))
        var ranges = stride(from: 0, to: count - count % size, by: size).map { $0..<($0 + size) }
        var start = count - count % size
        var step = size
        while start < count {
            while step > count - start { step /= 2 }
            ranges.append(start..<(start + step))
            start += step
        }
        return ranges
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

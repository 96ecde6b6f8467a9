/// SQLite's type affinity of a declared column type (https://sqlite.org/datatype3.html §3.1),
/// which is what the fingerprint records instead of the free-form declared type.
public enum ColumnAffinity: String, Sendable, Hashable, Codable, CaseIterable {
    case integer = "INTEGER"
    case text = "TEXT"
    case blob = "BLOB"
    case real = "REAL"
    case numeric = "NUMERIC"

    /// The rules in SQLite's order: `INT` → INTEGER; `CHAR`/`CLOB`/`TEXT` → TEXT; `BLOB` or no type
    /// → BLOB; `REAL`/`FLOA`/`DOUB` → REAL; else NUMERIC. Case-insensitive, substring matches, so
    /// `FLOATING POINT` is INTEGER (it contains `INT`), exactly as SQLite decides.
    public init(declaredType: String) {
        let upper = declaredType.uppercased()
        if upper.contains("INT") {
            self = .integer
        } else if upper.contains("CHAR") || upper.contains("CLOB") || upper.contains("TEXT") {
            self = .text
        } else if upper.contains("BLOB") || upper.trimmingASCIIWhitespace().isEmpty {
            self = .blob
        } else if upper.contains("REAL") || upper.contains("FLOA") || upper.contains("DOUB") {
            self = .real
        } else {
            self = .numeric
        }
    }
}

extension String {
    func trimmingASCIIWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return self[start...end]
    }
}

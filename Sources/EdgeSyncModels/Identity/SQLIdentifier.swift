/// A name as a quoted SQLite identifier (`"` doubled inside), for the server's mirrors and the
/// agent's capture SQL alike. Runs for every column of every materialized row, so it stays in the
/// standard library: Foundation's `replacingOccurrences` was a quarter of the replay's time.
public enum SQLIdentifier {
    public static func quote(_ identifier: String) -> String {
        guard identifier.utf8.contains(UInt8(ascii: "\"")) else { return "\"" + identifier + "\"" }
        return "\"" + identifier.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"")
            + "\""
    }
}

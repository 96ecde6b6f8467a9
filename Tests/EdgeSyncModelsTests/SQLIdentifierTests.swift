import EdgeSyncModels
import Testing

/// Identifiers reach SQL only quoted, with `"` doubled.
@Suite("SQL identifiers")
struct SQLIdentifierTests {
    @Test func quoting() {
        #expect(SQLIdentifier.quote("mode") == #""mode""#)
        #expect(SQLIdentifier.quote(#"a"b"#) == #""a""b""#)
        #expect(SQLIdentifier.quote(#""""#) == #""""""""#)
        #expect(SQLIdentifier.quote("") == #""""#)
    }
}

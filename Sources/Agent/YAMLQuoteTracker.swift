extension AgentYAML {
    /// Where a scan of a line stands with respect to quoted scalars: `"…"` with backslash escapes,
    /// `'…'` with `''` for a quote. The scans for a comment, for unclosed brackets and for a key's
    /// colon share it, so an escaped quote never ends a scalar early (and a `#` or `:` inside one
    /// is never taken for YAML's).
    struct QuoteTracker {
        private var open: Character?
        private var escaping = false
        /// A `'` seen inside `'…'`: the end, unless another `'` follows.
        private var closingSingle = false

        static func isQuote(_ character: Character) -> Bool { character == "\"" || character == "'" }

        /// Feeds the next character: true when it belongs to a quoted scalar (its closing quote
        /// included), so the scan passes over it.
        mutating func inQuotes(_ character: Character) -> Bool {
            if closingSingle {
                closingSingle = false
                if character == "'" { return true }
                open = nil
            }
            guard let quote = open else { return false }
            if escaping {
                escaping = false
            } else if quote == "\"" {
                if character == "\\" { escaping = true } else if character == "\"" { open = nil }
            } else if character == "'" {
                closingSingle = true
            }
            return true
        }

        /// A quoted scalar starts at `quote`.
        mutating func begin(_ quote: Character) {
            open = quote
        }
    }
}

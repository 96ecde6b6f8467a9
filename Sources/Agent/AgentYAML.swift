/// The YAML of the agent's configuration file, read without a YAML library (one would bring all
/// of Foundation, and ICU's 34 MB, into the device's binary): block mappings and sequences by
/// indentation, flow `{…}` and `[…]` on one line, plain, single- and double-quoted scalars and
/// comments. Anchors, aliases, tags, block scalars (`|`, `>`) and several documents are refused
/// with their line, never read wrongly.
///
/// Values are `[String: Any]`, `[Any]`, `String`, `Int`, `Bool` or `AgentYAML.null`.
enum AgentYAML {
    /// `~`, `null` or a key without a value.
    struct Null: Sendable {}
    static let null = Null()

    struct Failure: Error, CustomStringConvertible {
        var line: Int
        var message: String
        var description: String { "line \(line): \(message)" }
    }

    /// The document's value; nil for an empty document.
    static func parse(_ text: String) throws(Failure) -> Any? {
        var reader = BlockReader(lines: try lines(of: text))
        guard let first = reader.lines.first else { return nil }
        let value = try reader.block(indent: first.indent)
        if reader.index < reader.lines.count {
            let line = reader.lines[reader.index]
            throw Failure(line: line.number, message: "unexpected indentation or content: \(line.text)")
        }
        return value
    }

    struct Line {
        var number: Int
        var indent: Int
        var text: String
    }

    /// The lines with content, comments removed; `---` before the first and `...` at the end.
    private static func lines(of text: String) throws(Failure) -> [Line] {
        var result: [Line] = []
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = offset + 1
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            let content = withoutComment(line)
            let text = content.drop { $0 == " " }
            guard !text.isEmpty, text.contains(where: { $0 != " " && $0 != "\t" }) else { continue }
            if text.first == "\t" { throw Failure(line: number, message: "indentation must be spaces, not tabs") }
            let indent = content.count - text.count
            let trimmed = String(text.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
            if trimmed == "---" || trimmed.hasPrefix("--- ") {
                guard result.isEmpty else {
                    throw Failure(line: number, message: "one document per file (a second --- starts another)")
                }
                continue
            }
            if trimmed == "..." { break }
            result.append(Line(number: number, indent: indent, text: trimmed))
        }
        return result
    }

    /// The line up to a `#` that starts a comment (at the start or after a space, outside quotes).
    private static func withoutComment(_ line: Substring) -> Substring {
        var quotes = QuoteTracker()
        var previous: Character = " "
        var lastToken: Character = ":"
        for index in line.indices {
            let character = line[index]
            if quotes.inQuotes(character) {
                // Part of a quoted scalar.
            } else if QuoteTracker.isQuote(character)
                && ("[{,".contains(previous) || previous == " " && ":-[{,".contains(lastToken))
            {
                quotes.begin(character)
            } else if character == "#" && (previous == " " || previous == "\t") {
                return line[..<index]
            }
            if character != " " { lastToken = character }
            previous = character
        }
        return line
    }

    /// Block structure: a mapping or a sequence at one indentation, nested by deeper ones.
    private struct BlockReader {
        var lines: [Line]
        var index = 0

        mutating func block(indent: Int) throws(Failure) -> Any {
            let line = lines[index]
            if Self.isItem(line.text) { return try sequence(indent: indent) }
            if Self.keyAndValue(line.text) != nil { return try mapping(indent: indent) }
            index += 1
            return try AgentYAML.inline(joined(line.text), line: line.number)
        }

        /// A flow collection that spans lines, joined into one: the lines after an unclosed `{` or
        /// `[` until it closes.
        mutating func joined(_ text: String) -> String {
            guard text.first == "{" || text.first == "[" else { return text }
            var text = text
            while Self.openBrackets(text) > 0, index < lines.count {
                text += " " + lines[index].text
                index += 1
            }
            return text
        }

        /// `{` and `[` not yet closed, outside quotes.
        static func openBrackets(_ text: String) -> Int {
            var quotes = QuoteTracker()
            var depth = 0
            var previous: Character = " "
            for character in text {
                if quotes.inQuotes(character) {
                    // Part of a quoted scalar.
                } else if QuoteTracker.isQuote(character), "[{, :".contains(previous) {
                    quotes.begin(character)
                } else if character == "{" || character == "[" {
                    depth += 1
                } else if character == "}" || character == "]" {
                    depth -= 1
                }
                previous = character
            }
            return depth
        }

        static func isItem(_ text: String) -> Bool { text == "-" || text.hasPrefix("- ") }

        /// `key: value` or `key:`; nil when the text is not a mapping entry.
        static func keyAndValue(_ text: String) -> (key: String, value: String)? {
            var quotes = QuoteTracker()
            var depth = 0
            let characters = Array(text)
            for (position, character) in characters.enumerated() {
                if quotes.inQuotes(character) { continue }
                switch character {
                case "\"",
                    "'" where position == 0:
                    quotes.begin(character)
                case "[", "{": depth += 1
                case "]", "}": depth -= 1
                case ":" where depth == 0 && (position + 1 == characters.count || characters[position + 1] == " "):
                    let key = String(characters[..<position]).trimmingSpaces()
                    let value = String(characters[(position + 1)...]).trimmingSpaces()
                    return key.isEmpty ? nil : (key, value)
                default: break
                }
            }
            return nil
        }

        mutating func mapping(indent: Int) throws(Failure) -> [String: Any] {
            var map: [String: Any] = [:]
            while index < lines.count, lines[index].indent == indent, !Self.isItem(lines[index].text) {
                let line = lines[index]
                guard let (rawKey, rawValue) = Self.keyAndValue(line.text) else {
                    throw Failure(line: line.number, message: "expected key: value, found \(line.text)")
                }
                let key = try AgentYAML.key(rawKey, line: line.number)
                guard map[key] == nil else { throw Failure(line: line.number, message: "\(key) appears twice") }
                index += 1
                if !rawValue.isEmpty {
                    map[key] = try AgentYAML.inline(joined(rawValue), line: line.number)
                } else if index < lines.count,
                    lines[index].indent > indent || lines[index].indent == indent && Self.isItem(lines[index].text)
                {
                    map[key] = try block(indent: lines[index].indent)
                } else {
                    map[key] = AgentYAML.null
                }
            }
            return map
        }

        mutating func sequence(indent: Int) throws(Failure) -> [Any] {
            var list: [Any] = []
            while index < lines.count, lines[index].indent == indent, Self.isItem(lines[index].text) {
                let line = lines[index]
                let rest = String(line.text.dropFirst()).drop { $0 == " " }
                if rest.isEmpty {
                    index += 1
                    guard index < lines.count, lines[index].indent > indent else {
                        list.append(AgentYAML.null)
                        continue
                    }
                    list.append(try block(indent: lines[index].indent))
                } else {
                    // `- key: value` starts a mapping whose keys line up with `key`.
                    lines[index] = Line(
                        number: line.number,
                        indent: line.text.count - rest.count + indent,
                        text: String(rest)
                    )
                    list.append(try block(indent: lines[index].indent))
                }
            }
            return list
        }
    }

    /// A value on one line: a flow collection or a scalar.
    static func inline(_ text: String, line: Int) throws(Failure) -> Any {
        guard let first = text.first else { return null }
        switch first {
        case "{", "[":
            var reader = FlowReader(characters: Array(text), line: line)
            let value = try reader.value(closing: [])
            reader.skipSpaces()
            guard reader.position == reader.characters.count else {
                throw Failure(
                    line: line,
                    message: "unexpected text after the collection: \(String(reader.characters[reader.position...]))"
                )
            }
            return value
        case "|", ">":
            throw Failure(line: line, message: "block scalars (| and >) are not supported: write the value on one line")
        case "&", "*", "!":
            throw Failure(line: line, message: "anchors, aliases and tags are not supported: \(text)")
        default:
            return try scalar(text, line: line)
        }
    }

    /// A mapping key: its text as written (a table may be called `on`), unquoted.
    static func key(_ text: String, line: Int) throws(Failure) -> String {
        guard !text.isEmpty else { throw Failure(line: line, message: "a key is missing before :") }
        return text.first == "\"" || text.first == "'" ? try quoted(text, line: line) : text
    }

    /// A plain or quoted scalar with YAML's core types (and YAML 1.1's yes/no/on/off).
    static func scalar(_ text: String, line: Int) throws(Failure) -> Any {
        if text.first == "\"" || text.first == "'" { return try quoted(text, line: line) }
        switch text {
        case "~", "null", "Null", "NULL": return null
        case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON": return true
        case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF": return false
        default: return Int(text) ?? text
        }
    }

    private static func quoted(_ text: String, line: Int) throws(Failure) -> String {
        let characters = Array(text)
        let quote = characters[0]
        var result = ""
        var position = 1
        while position < characters.count {
            let character = characters[position]
            position += 1
            if character == quote {
                if quote == "'", position < characters.count, characters[position] == "'" {
                    result.append("'")
                    position += 1
                    continue
                }
                guard position == characters.count else {
                    throw Failure(line: line, message: "unexpected text after the closing quote: \(text)")
                }
                return result
            }
            guard quote == "\"", character == "\\" else {
                result.append(character)
                continue
            }
            guard position < characters.count else { break }
            let escape = characters[position]
            position += 1
            switch escape {
            case "n": result.append("\n")
            case "t": result.append("\t")
            case "r": result.append("\r")
            case "0": result.append("\0")
            case "\\", "\"", "/", " ": result.append(escape)
            case "u":
                let hex = String(characters[position..<min(position + 4, characters.count)])
                guard hex.count == 4, let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else {
                    throw Failure(line: line, message: "\\u needs four hex digits: \(text)")
                }
                result.unicodeScalars.append(scalar)
                position += 4
            default: throw Failure(line: line, message: "unknown escape \\\(escape) in \(text)")
            }
        }
        throw Failure(line: line, message: "the quote is not closed: \(text)")
    }

    /// `{key: value, …}` and `[value, …]`, nested, on one line.
    private struct FlowReader {
        var characters: [Character]
        var line: Int
        var position = 0

        mutating func skipSpaces() {
            while position < characters.count, characters[position] == " " { position += 1 }
        }

        mutating func value(closing: Set<Character>) throws(Failure) -> Any {
            skipSpaces()
            guard position < characters.count else {
                throw Failure(line: line, message: "the collection is not closed")
            }
            switch characters[position] {
            case "{": return try mapping()
            case "[": return try sequence()
            default: return try AgentYAML.scalar(token(until: closing), line: line)
            }
        }

        /// A scalar's text up to one of `stops` (outside quotes), trimmed.
        mutating func token(until stops: Set<Character>) throws(Failure) -> String {
            skipSpaces()
            let start = position
            if position < characters.count, QuoteTracker.isQuote(characters[position]) {
                var quotes = QuoteTracker()
                quotes.begin(characters[position])
                position += 1
                while position < characters.count, quotes.inQuotes(characters[position]) { position += 1 }
                return String(characters[start..<position])
            }
            while position < characters.count, !stops.contains(characters[position]) { position += 1 }
            return String(characters[start..<position]).trimmingSpaces()
        }

        mutating func expect(_ character: Character) throws(Failure) {
            skipSpaces()
            guard position < characters.count, characters[position] == character else {
                throw Failure(line: line, message: "expected \(character) in \(String(characters))")
            }
            position += 1
        }

        mutating func mapping() throws(Failure) -> [String: Any] {
            var map: [String: Any] = [:]
            try entries(opening: "{", closing: "}") { (reader) throws(Failure) in
                let key = try AgentYAML.key(try reader.token(until: [":", ",", "}"]), line: reader.line)
                guard map[key] == nil else { throw Failure(line: reader.line, message: "\(key) appears twice") }
                try reader.expect(":")
                map[key] = try reader.value(closing: [",", "}"])
            }
            return map
        }

        mutating func sequence() throws(Failure) -> [Any] {
            var list: [Any] = []
            try entries(opening: "[", closing: "]") { (reader) throws(Failure) in
                list.append(try reader.value(closing: [",", "]"]))
            }
            return list
        }

        /// The entries of a collection whose opening bracket is at `position`, each read by
        /// `entry`, separated by commas, up to and past `closing`.
        mutating func entries(
            opening: Character,
            closing: Character,
            _ entry: (inout FlowReader) throws(Failure) -> Void
        ) throws(Failure) {
            position += 1
            skipSpaces()
            if position < characters.count, characters[position] == closing {
                position += 1
                return
            }
            while true {
                try entry(&self)
                skipSpaces()
                guard position < characters.count else {
                    throw Failure(line: line, message: "the \(opening) is not closed")
                }
                position += 1
                if characters[position - 1] == closing { return }
                guard characters[position - 1] == "," else {
                    throw Failure(line: line, message: "expected , or \(closing) in \(String(characters))")
                }
            }
        }
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}

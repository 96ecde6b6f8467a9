import EdgeSyncModels

/// Screen 3 (docs/spec/tui.md): staged or written rows as a table, columns sized to content, scrolled
/// sideways with ←/→ (or h/l) when they do not fit.
struct RowsScreen: Sendable {
    var lineageName: String
    var written: Bool
    var page: PageEnvelope<JSONObject>
    var selected = 0
    var firstColumn = 0
    /// Enter: the selected row as pretty JSON instead of the table.
    var showingJSON = false
    /// `/`: a text the API looks for in the rows (written: their text columns; staged: their JSON).
    var query: String?

    static let keys: [(key: String, action: String)] = [
        ("↑↓", "move"), ("←→", "scroll"), ("Enter", "row as JSON"), ("/", "filter"), ("s/w", "staged/written"),
        ("n/p", "page"), ("Esc", "back"), ("q", "quit"),
    ]

    /// Every key of the page's objects: position and op first, the row's own columns (sorted),
    /// then the platform columns (JSON objects carry no column order of their own).
    var columnNames: [String] { Self.columnNames(of: page.data) }

    static func columnNames(of rows: [JSONObject]) -> [String] {
        var names: Set<String> = []
        for row in rows { names.formUnion(row.keys) }
        let leading = ["#", "op", "ts"].filter(names.contains)
        let platform = ["_device_id", "_journal_epoch", "_commit_seq", "_updated_at", "_cloud_version", "reason"]
            .filter(names.contains)
        let own = names.subtracting(leading).subtracting(platform).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return leading + own + platform
    }

    static func text(_ value: JSONValue?) -> String {
        switch value {
        case nil, .null?: "∅"
        case .string(let text)?: text
        case .integer(let number)?: String(number)
        case .double(let number)?: String(number)
        case .bool(let flag)?: String(flag)
        case let other?: CanonicalJSON.string(of: other)
        }
    }

    var table: TableView {
        let names = columnNames
        // A column gives way down to 10 characters (less only when it is narrower); past that the
        // table scrolls sideways rather than squeezing every column to a few letters.
        var table = TableView(
            columns: names.map { name in
                let widest = page.data.reduce(TextWidth.of(name)) { max($0, TextWidth.of(Self.text($1[name]))) }
                return TableView.Column(name, min: min(10, widest), max: 40)
            },
            rows: page.data.map { row in names.map { Self.text(row[$0]) } }
        )
        table.selected = page.data.isEmpty ? nil : min(selected, page.data.count - 1)
        table.firstColumn = firstColumn
        return table
    }

    func draw(into grid: inout CellGrid, frame: ScreenFrame) {
        var frame = frame
        let source = page.meta.source ?? (written ? "mirror" : "staged")
        frame.breadcrumb = ["Lineages", lineageName, written ? "written" : "staged"]
        frame.title = "\(written ? "Written" : "Staged") rows [\(page.meta.total)] source: \(source)\(matching)"
        frame.keys = Self.keys
        let body = frame.draw(into: &grid)
        guard !page.data.isEmpty else {
            grid.put(
                emptyText(
                    written ? "Nothing written yet: rows land here once the schema is approved." : "No staged rows.",
                    noun: "row"
                ),
                x: body.x,
                y: body.y + 1,
                style: .muted
            )
            return
        }
        if showingJSON {
            let lines = json(of: page.data[min(selected, page.data.count - 1)])
            for (index, line) in lines.prefix(body.height - 1).enumerated() {
                grid.put(line, x: body.x, y: body.y + index)
            }
            grid.put(
                "row \(selected + 1) of \(page.data.count) on this page · ↑↓ other rows · Enter or Esc back to the table",
                x: body.x,
                y: body.y + body.height - 1,
                style: .muted
            )
            return
        }
        table.draw(into: &grid, x: body.x, y: body.y, width: body.width, height: body.height - 1)
        grid.put(
            "page \(page.meta.page)/\(page.meta.pageCount) · columns from \(firstColumn + 1) of \(columnNames.count)",
            x: body.x,
            y: body.y + body.height - 1,
            style: .muted
        )
    }

    /// One member per line, in the table's column order; values as canonical JSON.
    func json(of row: JSONObject) -> [String] {
        let names = columnNames.filter { row[$0] != nil }
        let members = names.enumerated().map { index, name in
            "  " + CanonicalJSON.string(of: .string(name)) + ": " + CanonicalJSON.string(of: row[name]!)
                + (index < names.count - 1 ? "," : "")
        }
        return ["{"] + members + ["}"]
    }
}

extension RowsScreen: TextFilteredList {
    var helpTitle: String { "Rows" }
    var filterHint: String { written ? "text in a text column" : "text in the row's JSON" }
    var keys: [(key: String, action: String)] { Self.keys }

    mutating func handle(_ key: Terminal.Key, _ context: ScreenContext) -> [ScreenCommand]? {
        page.meta.limit = context.pageSize
        let last = max(0, page.data.count - 1)
        switch key {
        case .up, .character("k"): selected = max(0, selected - 1)
        case .down, .character("j"): selected = min(last, selected + 1)
        case .home: selected = 0
        case .end: selected = last
        case .enter: showingJSON = !showingJSON && !page.data.isEmpty
        case .character("/"): return filterPrompt
        // ← scrolls sideways here; Esc always goes back (from the JSON view to the table first).
        case .left, .character("h"): firstColumn = max(0, firstColumn - 1)
        case .right, .character("l"): firstColumn = min(max(0, columnNames.count - 1), firstColumn + 1)
        case .character("s"), .character("w"):
            guard case .rows(let lineageID, let name, _) = context.route else { return [] }
            return [.replace(.rows(lineageID: lineageID, name: name, written: key == .character("w")))]
        case .escape where showingJSON: showingJSON = false
        case .escape, .backspace: return [.back]
        default: return Self.turnPage(key, &page.meta)
        }
        return []
    }
}

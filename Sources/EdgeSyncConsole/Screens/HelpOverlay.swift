/// `?` (docs/spec/tui.md): every key of the screen and the global ones; in read-only mode the mutating
/// keys are listed as disabled, with the reason.
struct HelpOverlay: Sendable {
    var screenTitle: String
    var keys: [(key: String, action: String)]
    var disabled: [(key: String, action: String)]
    var readOnlyReason: String?

    static let global: [(key: String, action: String)] = [
        ("↑↓ j k", "move"), ("PgUp PgDn n p", "page"), ("Enter →", "open"), ("Esc ←", "back"), ("r", "refresh now"),
        ("Space", "pause auto-refresh"),
        (":", "jump: " + ConsoleReducer.jumpTargets.replacingOccurrences(of: ",", with: "")), ("L", "action log"),
        ("?", "this help"), ("q Ctrl+C", "quit"),
    ]

    /// The global keys two to a line where both fit half the box, so that the help fits 80×24.
    static func globalRows(width: Int) -> [[(key: String, action: String)]] {
        let half = width / 2
        var rows: [[(key: String, action: String)]] = []
        for entry in global {
            let fitsHalf = 2 + 16 + TextWidth.of(entry.action) <= half
            if fitsHalf, let last = rows.last, last.count == 1, 2 + 16 + TextWidth.of(last[0].action) <= half {
                rows[rows.count - 1].append(entry)
            } else {
                rows.append([entry])
            }
        }
        return rows
    }

    func draw(into grid: inout CellGrid) {
        let width = min(grid.width - 4, 78)
        let globalRows = Self.globalRows(width: width)
        let lines = keys.count + globalRows.count + 5 + (disabled.isEmpty ? 0 : disabled.count + 2)
        let height = min(grid.height - 2, lines)
        let x = (grid.width - width) / 2
        let y = max(1, (grid.height - height) / 2)
        let box = CellStyle(foreground: .white, background: .blue)
        // The screen behind is blanked: its letters would run into the box's edges.
        grid.fill(x: 0, y: 1, width: grid.width, height: grid.height - 2, style: .plain)
        grid.fill(x: x, y: y, width: width, height: height, style: box)
        grid.put(
            " Keys: \(screenTitle)",
            x: x,
            y: y,
            style: CellStyle(foreground: .white, background: .blue, bold: true),
            limit: width
        )
        var line = y + 2
        func row(_ key: String, _ action: String, _ style: CellStyle, column: Int = 0) {
            guard line < y + height - 1 else { return }
            grid.put(
                "  " + TextWidth.pad(key, to: 16) + action,
                x: x + column,
                y: line,
                style: style,
                limit: width - column
            )
            if column == 0 { line += 1 }
        }
        for (key, action) in keys { row(key, action, CellStyle(foreground: .yellow, background: .blue, bold: true)) }
        line += 1
        for entries in globalRows {
            if entries.count == 2 { row(entries[1].key, entries[1].action, box, column: width / 2) }
            row(entries[0].key, entries[0].action, box)
        }
        if !disabled.isEmpty {
            line += 1
            row("disabled", readOnlyReason ?? "read-only", CellStyle(foreground: .white, background: .blue, dim: true))
            for (key, action) in disabled {
                row(key, action, CellStyle(foreground: .white, background: .blue, dim: true))
            }
        }
        grid.put(
            " any key closes",
            x: x,
            y: y + height - 1,
            style: CellStyle(foreground: .yellow, background: .blue),
            limit: width
        )
    }
}

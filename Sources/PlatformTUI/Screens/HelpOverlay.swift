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
        (":", "jump: " + ConsoleApp.jumpTargets.replacingOccurrences(of: ",", with: "")), ("L", "action log"),
        ("?", "this help"), ("q Ctrl+C", "quit"),
    ]

    func draw(into grid: inout CellGrid) {
        let lines = keys.count + Self.global.count + disabled.count + 8
        let width = min(grid.width - 4, 78)
        let height = min(grid.height - 2, lines)
        let x = (grid.width - width) / 2
        let y = max(1, (grid.height - height) / 2)
        let box = CellStyle(foreground: .white, background: .blue)
        grid.fill(x: x, y: y, width: width, height: height, style: box)
        grid.put(
            " Keys: \(screenTitle)",
            x: x,
            y: y,
            style: CellStyle(foreground: .white, background: .blue, bold: true),
            limit: width
        )
        var line = y + 2
        func row(_ key: String, _ action: String, _ style: CellStyle) {
            guard line < y + height - 1 else { return }
            grid.put("  " + TextWidth.pad(key, to: 16) + action, x: x, y: line, style: style, limit: width)
            line += 1
        }
        for (key, action) in keys { row(key, action, CellStyle(foreground: .yellow, background: .blue, bold: true)) }
        line += 1
        for (key, action) in Self.global { row(key, action, box) }
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

/// A list to pick one entry from, drawn as a box over the screen: a title, the entries scrolled
/// to keep the highlighted one in view, and a footer with the keys.
struct ListPicker {
    var title: String
    var entries: [String]
    var highlighted: Int
    var footer: String

    /// Draws the box at (x, top), `width` wide, with at most `rows` entries; with `margin`, a blank
    /// column to its left and blanks up to the right edge keep cut text of the screen off it.
    func draw(into grid: inout CellGrid, x: Int, top: Int, width: Int, rows maximum: Int, margin: Bool = false) {
        let rows = min(entries.count, maximum)
        let first = min(max(0, highlighted - rows + 1), max(0, entries.count - rows))
        let box = CellStyle(foreground: .white, background: .blue)
        if margin { grid.fill(x: x - 1, y: top, width: grid.width - x + 1, height: rows + 2, style: .plain) }
        grid.fill(x: x, y: top, width: width, height: rows + 2, style: box)
        grid.put(
            " " + title,
            x: x,
            y: top,
            style: CellStyle(foreground: .white, background: .blue, bold: true),
            limit: width
        )
        for (offset, entry) in entries[first..<(first + rows)].enumerated() {
            let chosen = first + offset == highlighted
            grid.put(
                (chosen ? " ▸ " : "   ") + entry,
                x: x,
                y: top + 1 + offset,
                style: chosen ? CellStyle(foreground: .black, background: .yellow, bold: true) : box,
                limit: width
            )
        }
        grid.put(
            " " + footer,
            x: x,
            y: top + rows + 1,
            style: CellStyle(foreground: .yellow, background: .blue),
            limit: width
        )
    }
}

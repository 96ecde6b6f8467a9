/// The screen as cells in memory. Every screen draws here; ncurses only copies the grid to the
/// terminal, so screens are testable (and golden-rendered) without a terminal.
struct CellGrid: Sendable {
    struct Cell: Hashable, Sendable {
        /// One grapheme, or "" for the second column of a wide one.
        var text: String
        var style: CellStyle
    }

    let width: Int
    let height: Int
    private(set) var cells: [Cell]

    init(width: Int, height: Int) {
        self.width = max(1, width)
        self.height = max(1, height)
        cells = Array(repeating: Cell(text: " ", style: .plain), count: self.width * self.height)
    }

    subscript(x: Int, y: Int) -> Cell {
        cells[y * width + x]
    }

    /// Writes `text` at (x, y), cut with `…` to `limit` columns (default: to the right edge).
    /// Returns the columns written.
    @discardableResult
    mutating func put(_ text: String, x: Int, y: Int, style: CellStyle = .plain, limit: Int? = nil) -> Int {
        guard y >= 0, y < height, x >= 0, x < width else { return 0 }
        let room = min(limit ?? (width - x), width - x)
        var column = x
        defer { mendEdges(y: y, from: x, to: column) }
        for character in TextWidth.truncate(text, to: room) {
            let span = TextWidth.of(character)
            guard span > 0 else {
                // A combining character joins the previous cell's grapheme.
                if column > x { cells[y * width + column - 1].text.append(character) }
                continue
            }
            guard column + span <= x + room else { break }
            cells[y * width + column] = Cell(text: String(character), style: style)
            if span == 2 { cells[y * width + column + 1] = Cell(text: "", style: style) }
            column += span
        }
        return column - x
    }

    /// Paints a rectangle's background (spaces in `style`).
    mutating func fill(x: Int, y: Int, width w: Int, height h: Int, style: CellStyle) {
        for row in max(0, y)..<min(height, y + h) {
            for column in max(0, x)..<min(width, x + w) { cells[row * width + column] = Cell(text: " ", style: style) }
            mendEdges(y: row, from: max(0, x), to: min(width, x + w))
        }
    }

    /// After columns `from..<to` of row `y` were overwritten: a wide character cut in half at
    /// either edge leaves a blank, not a glyph that would spill into the new text.
    private mutating func mendEdges(y: Int, from: Int, to: Int) {
        guard from < to else { return }
        if from > 0, cells[y * width + from - 1].text != "", TextWidth.of(cells[y * width + from - 1].text) == 2 {
            cells[y * width + from - 1].text = " "
        }
        if to < width, cells[y * width + to].text == "" { cells[y * width + to].text = " " }
    }

    /// Applies `style` to existing cells (selection bars, highlights) without changing text.
    mutating func restyle(x: Int, y: Int, width w: Int, style: CellStyle) {
        guard y >= 0, y < height else { return }
        for column in max(0, x)..<min(width, x + w) { cells[y * width + column].style = style }
    }

    /// The text of each row, trailing spaces removed: what a golden file holds.
    var lines: [String] {
        (0..<height).map { row in
            var line = ""
            for column in 0..<width { line += cells[row * width + column].text }
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
    }

    var text: String { lines.joined(separator: "\n") + "\n" }
}

/// A table widget: columns sized to their content within limits, a header, a selection bar,
/// vertical scrolling that keeps the selection visible, and horizontal scrolling by column when
/// the columns do not fit.
struct TableView: Sendable {
    struct Column: Sendable {
        var title: String
        var minWidth: Int
        var maxWidth: Int
        var alignRight = false

        init(_ title: String, min: Int, max: Int, alignRight: Bool = false) {
            self.title = title
            self.minWidth = min
            self.maxWidth = max
            self.alignRight = alignRight
        }
    }

    var columns: [Column]
    var rows: [[String]]
    /// Per-cell styles (same shape as `rows`); plain when absent.
    var styles: [[CellStyle]] = []
    var selected: Int?
    /// The first column shown (horizontal scroll).
    var firstColumn = 0

    /// Widths that fit `available` columns when possible: natural widths (content, clamped),
    /// then the widest text columns give way down to their minimum. Right-aligned (numeric)
    /// columns never shrink below their content: a cut number would lie.
    func widths(available: Int) -> [Int] {
        let natural = columns.enumerated().map { index, column in
            let content = rows.map { TextWidth.of($0[index]) }.max() ?? 0
            return min(column.maxWidth, max(column.minWidth, TextWidth.of(column.title), content))
        }
        let floors = columns.enumerated().map { index, column in column.alignRight ? natural[index] : column.minWidth }
        var widths = natural
        var total = widths.reduce(0, +) + max(0, widths.count - 1)
        while total > available,
            let widest = widths.indices.filter({ widths[$0] > floors[$0] }).max(by: { widths[$0] < widths[$1] })
        {
            widths[widest] -= 1
            total -= 1
        }
        return widths
    }

    /// Draws into `grid` within the rectangle; returns the rows shown (first, count).
    @discardableResult
    func draw(into grid: inout CellGrid, x: Int, y: Int, width: Int, height: Int) -> (first: Int, count: Int) {
        let widths = widths(available: width)
        let visible = columnsShown(widths: widths, width: width)
        var column = x
        for index in visible {
            grid.put(
                TextWidth.pad(columns[index].title, to: widths[index], alignRight: columns[index].alignRight),
                x: column,
                y: y,
                style: .title
            )
            column += widths[index] + 1
        }
        let bodyHeight = max(0, height - 1)
        let first = firstRow(bodyHeight: bodyHeight)
        for (offset, rowIndex) in (first..<min(rows.count, first + bodyHeight)).enumerated() {
            let line = y + 1 + offset
            var column = x
            for index in visible {
                let style = rowIndex < styles.count && index < styles[rowIndex].count ? styles[rowIndex][index] : .plain
                grid.put(
                    TextWidth.pad(rows[rowIndex][index], to: widths[index], alignRight: columns[index].alignRight),
                    x: column,
                    y: line,
                    style: style
                )
                column += widths[index] + 1
            }
            if rowIndex == selected {
                for cell in 0..<width where x + cell < grid.width {
                    var style = grid[x + cell, line].style
                    style.reverse = true
                    grid.restyle(x: x + cell, y: line, width: 1, style: style)
                }
            }
        }
        return (first, min(rows.count - first, bodyHeight))
    }

    /// Columns from `firstColumn` on that fit.
    func columnsShown(widths: [Int], width: Int) -> [Int] {
        var shown: [Int] = []
        var used = 0
        for index in min(firstColumn, max(0, columns.count - 1))..<columns.count {
            let need = widths[index] + (shown.isEmpty ? 0 : 1)
            guard used + need <= width || shown.isEmpty else { break }
            shown.append(index)
            used += need
        }
        return shown
    }

    /// The first row shown so that the selection is on screen.
    func firstRow(bodyHeight: Int) -> Int {
        guard let selected, bodyHeight > 0 else { return 0 }
        return max(0, min(selected - bodyHeight / 2, rows.count - bodyHeight))
    }
}

/// How a cell looks. ncurses maps it to colour pairs and attributes; with `NO_COLOR` only the
/// attributes remain, so meaning never depends on colour alone.
struct CellStyle: Hashable, Sendable {
    enum Color: String, Hashable, Sendable, CaseIterable {
        case black, red, green, yellow, blue, magenta, cyan, white
    }

    var foreground: Color?
    var background: Color?
    var bold = false
    var dim = false
    var reverse = false
    var underline = false

    static let plain = CellStyle()
    static let title = CellStyle(bold: true)
    static let muted = CellStyle(dim: true)
    static let selected = CellStyle(reverse: true)
    static let header = CellStyle(foreground: .black, background: .cyan)
    static let ok = CellStyle(foreground: .green)
    static let warning = CellStyle(foreground: .yellow, bold: true)
    static let error = CellStyle(foreground: .red, bold: true)
    static let key = CellStyle(foreground: .cyan, bold: true)
}

import CNCurses
import Foundation

/// The only ncurses code: it copies a `CellGrid` to the screen and reads keys. Colours follow
/// `NO_COLOR` (attributes only); wide characters are written as one cell plus a continuation.
final class Terminal {
    /// Keys as the console understands them.
    enum Key: Hashable {
        case character(Character)
        case up, down, left, right, pageUp, pageDown, home, end, enter, escape, backspace, resize
        case function(Int)
    }

    private let colors: Bool
    private var pairs: [CellStyle: Int16] = [:]
    /// The standard screen, as `initscr` returned it.
    private let window: UnsafeMutablePointer<WINDOW>?

    // ncurses' key codes and attribute bits are macros Swift does not import.
    private enum Code {
        static let down: Int32 = 0o402, up: Int32 = 0o403, left: Int32 = 0o404, right: Int32 = 0o405,
            home: Int32 = 0o406
        static let backspace: Int32 = 0o407, f0: Int32 = 0o410, pageDown: Int32 = 0o522, pageUp: Int32 = 0o523,
            enter: Int32 = 0o527
        static let end: Int32 = 0o550, resize: Int32 = 0o632
    }

    private enum Attribute {
        static let underline: Int32 = 1 << 17, reverse: Int32 = 1 << 18, dim: Int32 = 1 << 20, bold: Int32 = 1 << 21
    }

    init() {
        setlocale(LC_ALL, "")
        window = initscr()
        cbreak()
        noecho()
        keypad(window, true)
        curs_set(0)
        set_escdelay(25)
        colors = ProcessInfo.processInfo.environment["NO_COLOR"] == nil && has_colors()
        if colors {
            start_color()
            use_default_colors()
        }
    }

    var size: (width: Int, height: Int) { (Int(getmaxx(window)), Int(getmaxy(window))) }

    func draw(_ grid: CellGrid) {
        erase()
        for y in 0..<min(grid.height, size.height) {
            for x in 0..<min(grid.width, size.width) {
                let cell = grid[x, y]
                guard !cell.text.isEmpty else { continue }
                attrset(attributes(cell.style))
                mvaddstr(Int32(y), Int32(x), cell.text)
            }
        }
        attrset(0)
        refresh()
    }

    /// The next key, or nil after `timeout` milliseconds.
    func key(timeout milliseconds: Int32) -> Key? {
        timeout(milliseconds)
        let code = getch()
        switch code {
        case -1: return nil
        case Code.up: return .up
        case Code.down: return .down
        case Code.left: return .left
        case Code.right: return .right
        case Code.pageUp: return .pageUp
        case Code.pageDown: return .pageDown
        case Code.home: return .home
        case Code.end: return .end
        case Code.enter, 10, 13: return .enter
        case 27: return .escape
        case Code.backspace, 127, 8: return .backspace
        case Code.resize: return .resize
        case Code.f0 + 1...Code.f0 + 12: return .function(Int(code - Code.f0))
        default:
            guard let scalar = Unicode.Scalar(UInt32(code)) else { return nil }
            return .character(Character(scalar))
        }
    }

    func close() {
        endwin()
    }

    private func attributes(_ style: CellStyle) -> Int32 {
        var value: Int32 = 0
        if style.bold { value |= Attribute.bold }
        if style.dim { value |= Attribute.dim }
        if style.reverse { value |= Attribute.reverse }
        if style.underline { value |= Attribute.underline }
        guard colors, style.foreground != nil || style.background != nil else { return value }
        var colorOnly = CellStyle()
        colorOnly.foreground = style.foreground
        colorOnly.background = style.background
        let pair =
            pairs[colorOnly]
            ?? {
                let next = Int16(pairs.count + 1)
                init_pair(next, Self.color(style.foreground), Self.color(style.background))
                pairs[colorOnly] = next
                return next
            }()
        return value | (Int32(pair) << 8)
    }

    private static func color(_ color: CellStyle.Color?) -> Int16 {
        guard let color else { return -1 }
        return Int16(CellStyle.Color.allCases.firstIndex(of: color)!)
    }
}

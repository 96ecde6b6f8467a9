/// A destructive action's dialog (docs/spec/tui.md): it names the exact effect; an optional text field
/// (a reason, or the table name a delete must be typed against) is finished with Enter, and
/// only then does `y` confirm: the confirm key differs from the opening key, and a bare Enter
/// never confirms.
struct ConfirmDialog: Sendable {
    enum Field: Sendable {
        /// Free text (a reason, a name); `required` text may not stay empty.
        case text(label: String, required: Bool)
        /// Must equal this text (the table name of a delete).
        case mustType(String)
    }

    var title: String
    var effect: String
    var field: Field?
    var text = ""
    /// Enter finished the field; `y` now confirms.
    var armed = false

    init(title: String, effect: String, field: Field? = nil) {
        self.title = title
        self.effect = effect
        self.field = field
        armed = field == nil
    }

    /// Whether the typed text satisfies the field.
    var fieldAccepted: Bool {
        switch field {
        case .mustType(let expected)?: text == expected
        case .text(_, let required)?: !required || !text.isEmpty
        case nil: true
        }
    }

    enum Outcome: Equatable {
        case none
        case cancel
        case confirm
    }

    mutating func handle(_ key: Terminal.Key) -> Outcome {
        switch key {
        case .escape: return .cancel
        case .enter where !armed: armed = fieldAccepted
        case .backspace where !armed: text = String(text.dropLast())
        case .character("y") where armed: return .confirm
        case .character(let character) where !armed && field != nil: text.append(character)
        default: break
        }
        return .none
    }

    /// Draws a box over the middle of the screen, on a blank band across the whole width so
    /// that no text of the screen behind runs into it; the effect wraps to the box.
    func draw(into grid: inout CellGrid) {
        let width = min(grid.width - 4, max(50, min(72, TextWidth.of(effect) + 4)))
        let effectLines = TextWidth.wrap(effect, width: width - 2)
        let height = (field == nil ? 5 : 7) + effectLines.count
        let x = (grid.width - width) / 2
        let y = max(1, (grid.height - height) / 2)
        grid.fill(x: 0, y: y - 1, width: grid.width, height: height + 2, style: .plain)
        let box = CellStyle(foreground: .white, background: .blue)
        grid.fill(x: x, y: y, width: width, height: height, style: box)
        grid.put(
            " " + title,
            x: x,
            y: y,
            style: CellStyle(foreground: .white, background: .blue, bold: true),
            limit: width
        )
        for (offset, text) in effectLines.enumerated() {
            grid.put(" " + text, x: x, y: y + 2 + offset, style: box, limit: width)
        }
        var line = y + 2 + effectLines.count
        if let field {
            let label =
                switch field {
                case .text(let label, _): " \(label): "
                case .mustType(let expected): " Type \(expected) to confirm: "
                }
            let written = grid.put(label, x: x, y: line + 1, style: box, limit: width)
            grid.put(
                text + (armed ? "" : "▏"),
                x: x + written,
                y: line + 1,
                style: CellStyle(foreground: .black, background: .white),
                limit: width - written - 1
            )
            line += 2
        }
        let hint =
            switch (armed, fieldAccepted, field) {
            case (true, _, _): " y confirms · Esc cancels"
            case (false, true, _): " Enter when done · Esc cancels"
            case (false, false, .text(let label, _)?): " \(label) may not stay empty · Esc cancels"
            default: " type it exactly · Esc cancels"
            }
        grid.put(
            hint,
            x: x,
            y: line + 1,
            style: CellStyle(foreground: .yellow, background: .blue, bold: true),
            limit: width
        )
    }
}

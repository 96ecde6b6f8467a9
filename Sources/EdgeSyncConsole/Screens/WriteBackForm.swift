import EdgeSyncModels

/// `W` on a cloud-authoritative lineage (docs/spec/tui.md): one row's primary key and new values, sent
/// as a write-back (mirror upsert plus a `state_write` to the device). Values are read as JSON
/// when they parse (`42`, `true`, `"x"`), else as text; empty value fields are left out.
struct WriteBackForm: Sendable {
    struct Field: Sendable, Hashable {
        var column: String
        var isKey: Bool
        var text = ""
    }

    var table: String
    var fields: [Field]
    var focus = 0
    /// Every field done: `y` sends, Esc cancels.
    var armed = false

    init(table: String, bindings: [ColumnAction], keyColumns: [String]) {
        self.table = table
        let mirrored = bindings.filter { $0.action == .mirror }.map(\.sourceColumnName)
        fields =
            keyColumns.map { Field(column: $0, isKey: true) }
            + mirrored.filter { !keyColumns.contains($0) }.map { Field(column: $0, isKey: false) }
    }

    enum Outcome: Equatable {
        case none
        case cancel
        case send
    }

    mutating func handle(_ key: Terminal.Key) -> Outcome {
        switch key {
        case .escape: return .cancel
        case .character("y") where armed: return .send
        case .up where !armed: focus = max(0, focus - 1)
        case .down where !armed, .character("\t") where !armed: focus = min(fields.count - 1, focus + 1)
        case .enter where !armed:
            if focus < fields.count - 1 { focus += 1 } else { armed = problem == nil }
        case .backspace where !armed: fields[focus].text = String(fields[focus].text.dropLast())
        case .character(let character) where !armed: fields[focus].text.append(character)
        default: break
        }
        return .none
    }

    static func value(_ text: String) -> JSONValue {
        (try? JSONParser().parse(Array(text.utf8))) ?? .string(text)
    }

    var row: StateWriteRequest.Row {
        var pk = JSONObject()
        var values = JSONObject()
        for field in fields where field.isKey || !field.text.isEmpty {
            if field.isKey {
                pk[field.column] = Self.value(field.text)
            } else {
                values[field.column] = Self.value(field.text)
            }
        }
        return StateWriteRequest.Row(pk: pk, values: values)
    }

    /// Why it cannot be sent yet.
    var problem: String? {
        if let key = fields.first(where: { $0.isKey && $0.text.isEmpty }) {
            return "the key column \(key.column) needs a value"
        }
        if !fields.contains(where: { !$0.isKey && !$0.text.isEmpty }) { return "set at least one value" }
        return nil
    }

    func draw(into grid: inout CellGrid) {
        let width = min(grid.width - 4, 76)
        let height = min(grid.height - 2, fields.count + 8)
        let x = (grid.width - width) / 2
        let y = max(1, (grid.height - height) / 2)
        let box = CellStyle(foreground: .white, background: .blue)
        grid.fill(x: x, y: y, width: width, height: height, style: box)
        grid.put(
            " Write back one row of \(table)",
            x: x,
            y: y,
            style: CellStyle(foreground: .white, background: .blue, bold: true),
            limit: width
        )
        grid.put(
            " Upserts it in the mirror (with a new _cloud_version) and sends it to the device.",
            x: x,
            y: y + 1,
            style: box,
            limit: width
        )
        for (index, field) in fields.enumerated() where y + 3 + index < y + height - 2 {
            let label = " " + TextWidth.pad(field.column + (field.isKey ? " (key)" : ""), to: 24)
            let written = grid.put(label, x: x, y: y + 3 + index, style: box, limit: width)
            let focused = index == focus && !armed
            grid.put(
                field.text + (focused ? "▏" : ""),
                x: x + written,
                y: y + 3 + index,
                style: focused ? CellStyle(foreground: .black, background: .white) : box,
                limit: width - written - 1
            )
        }
        let hint =
            armed
            ? " y sends · Esc cancels"
            : (problem.map { " \($0) · ↑↓ fields · Enter next · Esc cancels" }
                ?? " Enter on the last field when done · Esc cancels")
        grid.put(
            hint,
            x: x,
            y: y + height - 1,
            style: CellStyle(foreground: .yellow, background: .blue, bold: true),
            limit: width
        )
    }
}

/// `L` (docs/spec/tui.md): what this console did, newest first, with the result and time.
struct ActionLogScreen: Sendable {
    struct Entry: Sendable, Hashable {
        var time: String
        var action: String
        var ok: Bool
        var result: String
    }

    var entries: [Entry]

    static let keys: [(key: String, action: String)] = [("Esc", "back"), ("q", "quit")]

    func draw(into grid: inout CellGrid, frame: ScreenFrame) {
        var table = TableView(
            columns: [
                TableView.Column("TIME", min: 8, max: 8), TableView.Column("ACTION", min: 10, max: 60),
                TableView.Column("RESULT", min: 6, max: 60),
            ],
            rows: entries.map { [$0.time, $0.action, $0.result] }
        )
        table.styles = entries.map { [.muted, .plain, $0.ok ? .ok : .error] }
        frame.drawList(
            into: &grid,
            breadcrumb: ["Action log"],
            title: "Action log [\(entries.count)] (this console session)",
            keys: Self.keys,
            table: table,
            empty: "Nothing done yet: claims, approvals, rejections, resets and deletes appear here."
        )
    }
}

extension ActionLogScreen: ConsoleScreen {
    var helpTitle: String { "Action log" }
    var keys: [(key: String, action: String)] { Self.keys }

    func handle(_ key: Terminal.Key, _ context: ScreenContext) -> [ScreenCommand]? { nil }
}

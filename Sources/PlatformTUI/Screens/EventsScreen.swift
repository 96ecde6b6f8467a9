import EdgeSyncModels

/// Screen 7, events (docs/spec/tui.md): the live stream (SSE) over the recent history, newest first,
/// with scrollback and a filter by kind.
struct EventsScreen: Sendable {
    var events: [Event] = []
    var kind: EventKind?
    var selected = 0
    var live = false
    var now: Timestamp

    /// Most events kept on screen.
    static let capacity = 2_000

    static let keys: [(key: String, action: String)] = [
        ("↑↓", "scroll"), ("f", "kind"), ("Esc", "back"), ("q", "quit"),
    ]

    var shown: [Event] { events.reversed().filter { kind == nil || $0.kind == kind } }

    mutating func append(_ event: Event) {
        guard !events.contains(where: { $0.id == event.id }) else { return }
        events.append(event)
        if events.count > Self.capacity { events.removeFirst(events.count - Self.capacity) }
        if selected > 0 { selected += 1 }
    }

    func draw(into grid: inout CellGrid, frame: ScreenFrame) {
        let rows = shown
        var table = TableView(
            columns: [
                TableView.Column("#", min: 3, max: 8, alignRight: true),
                TableView.Column("AGE", min: 4, max: 5, alignRight: true),
                TableView.Column("KIND", min: 12, max: 38), TableView.Column("OUTCOME", min: 7, max: 24),
                TableView.Column("MESSAGE", min: 10, max: 90),
            ],
            rows: rows.map {
                [
                    String($0.id), LineagesScreen.age(seconds: Int(now.seconds - $0.time.seconds)), $0.kind.rawValue,
                    $0.outcome, $0.message,
                ]
            }
        )
        table.styles = rows.map { event in
            let style: CellStyle =
                switch event.kind {
                case .batchRejected, .materializationFailed, .deviceACLDenied: .error
                case .lineagePaused, .reviewQueued: .warning
                case .reviewApproved, .lineageResumed, .replayCompleted: .ok
                default: .plain
                }
            return [.muted, .muted, style, .plain, .plain]
        }
        table.selected = rows.isEmpty ? nil : min(selected, rows.count - 1)
        let filter = kind.map { "<\($0.rawValue)>" } ?? "<all>"
        frame.drawList(
            into: &grid,
            breadcrumb: ["Events"],
            title: "Events [\(rows.count)] \(filter) \(live ? "● live" : "○ connecting")",
            keys: Self.keys,
            table: table,
            empty: "No events yet."
        )
    }
}

import EdgeSyncModels

/// Screen 7, events (docs/spec/tui.md): the live stream (SSE) over the recent history, newest first,
/// with scrollback, one event in full (Enter) and a filter by kind picked from a list (`f`).
struct EventsScreen: Sendable {
    var events: [Event] = []
    var kind: EventKind?
    var selected = 0
    var live = false
    var now: Timestamp
    /// Enter: the selected event in full instead of the list.
    var detailShown = false
    /// `f`: the list of kinds is open; its highlighted entry.
    var picking: Int?

    /// Most events kept on screen.
    static let capacity = 2_000

    /// The kind filter's choices: every kind, or all of them.
    static let kinds: [EventKind?] = [nil] + EventKind.allCases

    var keys: [(key: String, action: String)] {
        if picking != nil { return [("↑↓", "kind"), ("Enter", "filter"), ("Esc", "cancel")] }
        if detailShown { return [("↑↓", "other events"), ("Enter/Esc", "back to the list")] }
        return [("↑↓", "scroll"), ("Enter", "details"), ("f", "kind"), ("Esc", "back"), ("q", "quit")]
    }

    var shown: [Event] { events.reversed().filter { kind == nil || $0.kind == kind } }

    /// The detail or the kind list is open: it takes every key.
    var isModal: Bool { detailShown || picking != nil }

    mutating func append(_ event: Event) {
        guard !events.contains(where: { $0.id == event.id }) else { return }
        events.append(event)
        if events.count > Self.capacity { events.removeFirst(events.count - Self.capacity) }
        if selected > 0 { selected += 1 }
    }

    /// Keys while the detail or the kind list is open.
    mutating func handleModal(_ key: Terminal.Key) {
        let last = max(0, shown.count - 1)
        if let picking {
            switch key {
            case .escape: self.picking = nil
            case .up, .character("k"): self.picking = max(0, picking - 1)
            case .down, .character("j"): self.picking = min(Self.kinds.count - 1, picking + 1)
            case .enter:
                (kind, selected, self.picking) = (Self.kinds[picking], 0, nil)
            default: break
            }
            return
        }
        switch key {
        case .up, .character("k"): selected = max(0, selected - 1)
        case .down, .character("j"): selected = min(last, selected + 1)
        case .escape, .enter: detailShown = false
        default: break
        }
    }

    /// Opens the kind list on the current filter.
    mutating func pickKind() {
        picking = Self.kinds.firstIndex { $0 == kind } ?? 0
    }

    static func style(of kind: EventKind) -> CellStyle {
        switch kind {
        case .batchRejected, .materializationFailed, .deviceACLDenied: .error
        case .lineagePaused, .reviewQueued: .warning
        case .reviewApproved, .lineageResumed, .replayCompleted: .ok
        default: .plain
        }
    }

    /// The device by name (a deleted device by the start of its id).
    static func device(of event: Event) -> String {
        event.deviceName ?? event.deviceID.map { String($0.prefix(8)) } ?? "-"
    }

    func draw(into grid: inout CellGrid, frame: ScreenFrame) {
        let rows = shown
        let filter = ScreenFrame.filter("kind", kind?.rawValue)
        let title = "Events [\(rows.count)] · \(filter) · \(live ? "● live" : "○ connecting")"
        if detailShown, !rows.isEmpty {
            drawDetail(rows[min(selected, rows.count - 1)], into: &grid, frame: frame, title: title)
            return
        }
        var table = TableView(
            columns: [
                TableView.Column("#", min: 3, max: 8, alignRight: true),
                TableView.Column("AGE", min: 4, max: 5, alignRight: true),
                TableView.Column("KIND", min: 12, max: 38), TableView.Column("DEVICE", min: 6, max: 20),
                TableView.Column("TABLE", min: 5, max: 24), TableView.Column("OUTCOME", min: 7, max: 24),
                TableView.Column("MESSAGE", min: 10, max: 90),
            ],
            rows: rows.map {
                [
                    String($0.id), LineagesScreen.age(seconds: Int(now.seconds - $0.time.seconds)), $0.kind.rawValue,
                    Self.device(of: $0), $0.sourceTable ?? "-", $0.outcome, $0.message,
                ]
            }
        )
        table.styles = rows.map { [.muted, .muted, Self.style(of: $0.kind), .plain, .plain, .plain, .plain] }
        table.selected = rows.isEmpty ? nil : min(selected, rows.count - 1)
        frame.drawList(
            into: &grid,
            breadcrumb: ["Events"],
            title: title,
            keys: keys,
            table: table,
            empty: kind == nil ? "No events yet." : "No event of this kind: f picks another."
        )
        if let picking { drawPicker(highlighted: picking, into: &grid) }
    }

    /// Every field of one event; the message wraps.
    private func drawDetail(_ event: Event, into grid: inout CellGrid, frame: ScreenFrame, title: String) {
        var frame = frame
        frame.breadcrumb = ["Events", "#\(event.id)"]
        frame.title = title
        frame.keys = keys
        let body = frame.draw(into: &grid)
        let fields: [(String, String)] = [
            ("id", String(event.id)), ("time", event.time.description),
            ("kind", event.kind.rawValue), ("outcome", event.outcome),
            ("device", [event.deviceName, event.deviceID].compactMap { $0 }.joined(separator: " · ")),
            ("lineage", [event.sourceTable, event.lineageID].compactMap { $0 }.joined(separator: " · ")),
        ]
        var y = body.y
        for (name, value) in fields {
            let written = grid.put(TextWidth.pad(name, to: 10), x: body.x, y: y, style: .muted)
            grid.put(
                value.isEmpty ? "-" : value,
                x: body.x + written,
                y: y,
                style: name == "kind" ? Self.style(of: event.kind) : .plain
            )
            y += 1
        }
        y += 1
        grid.put("message", x: body.x, y: y, style: .muted)
        for line in TextWidth.wrap(event.message, width: body.width - 2) where y + 1 < body.y + body.height {
            y += 1
            grid.put(line, x: body.x + 2, y: y)
        }
    }

    /// The kinds as a list over the right of the table.
    private func drawPicker(highlighted: Int, into grid: inout CellGrid) {
        let width = min(grid.width - 4, 40)
        ListPicker(
            title: "Event kind",
            entries: Self.kinds.map { $0?.rawValue ?? "all kinds" },
            highlighted: highlighted,
            footer: "Enter filters · Esc cancels"
        )
        .draw(into: &grid, x: grid.width - width - 2, top: 4, width: width, rows: max(3, grid.height - 8), margin: true)
    }
}

extension EventsScreen: ConsoleScreen {
    var helpTitle: String { "Events" }

    mutating func handle(_ key: Terminal.Key, _ context: ScreenContext) -> [ScreenCommand]? {
        if isModal {
            handleModal(key)
            return []
        }
        switch key {
        case .up, .character("k"): selected = max(0, selected - 1)
        case .down, .character("j"): selected = min(max(0, shown.count - 1), selected + 1)
        case .home: selected = 0
        case .end: selected = max(0, shown.count - 1)
        case .enter: detailShown = !shown.isEmpty
        case .character("f"): pickKind()
        default: return nil
        }
        return []
    }
}

import EdgeSyncModels

/// Screen 6 (docs/spec/tui.md): one line per source column with its action and target, inline
/// validation (the server's own rules), and a live preview of the target's DDL as the server
/// would run it on its database.
struct ColumnEditorScreen: Sendable {
    var detail: SchemaReviewDetail
    var actions: [ColumnAction]
    /// Data points of the device `map` may choose from: id → name.
    var dataPoints: [(id: String, name: String)] = []
    var allowAutoCreate = false
    var selected = 0
    /// The mirror name being typed, while Enter editing is open.
    var editing: String?
    /// While the data-point list of a `map` column is open: the highlighted entry.
    var picking: Int?
    /// `t` toggles it; nil keeps the lineage's current authority.
    var syncAuthority: SyncAuthority?
    /// The server's preview and the actions it was asked for; `requested` is the last asked.
    var preview: (actions: [ColumnAction], answer: PreviewAnswer)?
    var requested: [ColumnAction]?

    enum PreviewAnswer: Sendable {
        case statements(ApprovalPreview)
        case refused(String)
    }

    init(detail: SchemaReviewDetail) {
        self.detail = detail
        actions = detail.suggestedActions
    }

    /// The actions `Space` cycles through: those the lineage's strategy accepts (a rows lineage
    /// has no data points to map to).
    var cycle: [ColumnActionKind] {
        [.mirror, .ignore, .defer] + (detail.review.strategy == .telemetry ? [.map, .autoCreateAndMap] : [])
    }

    var keys: [(key: String, action: String)] {
        if editing != nil { return [("Enter", "keep name"), ("Esc", "cancel")] }
        if picking != nil { return [("↑↓", "data point"), ("Enter", "pick"), ("Esc", "cancel")] }
        return [
            ("F2", "approve"), ("↑↓", "column"), ("Space/←→", "action"), ("Enter", "rename / data point"),
            ("m", "mirror all"),
            ("i", "ignore non-PK"), ("u", "suggested"), ("t", "sync authority"), ("Esc", "back"),
        ]
    }

    var columns: [SchemaColumn] { detail.columns ?? [] }

    /// The server's verdict on the current actions: nil when they can be submitted.
    var problem: APIError? {
        let validator = ColumnActionValidator(
            columns: columns,
            strategy: detail.review.strategy,
            dataPoints: Dictionary(dataPoints.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first }),
            allowAutoCreate: allowAutoCreate
        )
        do {
            _ = try validator.validate(actions)
            return nil
        } catch {
            return error
        }
    }

    /// The actions to ask the server to preview next: valid ones not yet asked for.
    var previewDue: [ColumnAction]? {
        problem == nil && requested != actions ? actions : nil
    }

    /// The server's answer for `asked`. Keys typed quickly put several requests in flight whose
    /// answers come in any order: only the answer to the latest is kept (an older one landing
    /// last would leave the preview waiting for ever, its actions never asked again).
    mutating func receive(_ answer: PreviewAnswer, for asked: [ColumnAction]) {
        guard asked == requested else { return }
        preview = (asked, answer)
    }

    /// The server's answer for the current actions, once it has come.
    private var currentAnswer: ApprovalPreview? {
        guard let preview, preview.actions == actions, case .statements(let answer) = preview.answer else { return nil }
        return answer
    }

    /// The preview's lines: the statements for the current actions, or what is in the way.
    var previewLines: [String] {
        guard problem == nil else { return [] }
        guard let preview, preview.actions == actions else { return ["…"] }
        switch preview.answer {
        case .statements(let answer):
            return answer.statements.isEmpty
                ? ["-- no DDL: \(answer.targetTable) already has every column"] : answer.statements
        case .refused(let message):
            return ["✗ " + message]
        }
    }

    mutating func cycleAction(by step: Int) {
        guard actions.indices.contains(selected) else { return }
        let current = cycle.firstIndex(of: actions[selected].action) ?? 0
        actions[selected].action = cycle[(current + step + cycle.count) % cycle.count]
        actions[selected].mirrorColumnName =
            actions[selected].action == .mirror ? actions[selected].mirrorColumnName : nil
        actions[selected].deviceDataPointID = actions[selected].action == .map ? dataPoints.first?.id : nil
    }

    /// Enter: rename a mirror column, or open the list of data points of a `map`; otherwise why
    /// Enter does nothing here.
    @discardableResult
    mutating func enter() -> String? {
        guard actions.indices.contains(selected) else { return nil }
        switch actions[selected].action {
        case .mirror: editing = actions[selected].effectiveMirrorColumnName ?? ""
        case .map where dataPoints.isEmpty:
            return "no data point to map to: choose auto_create_and_map (Space) or create data points first"
        case .map: picking = dataPoints.firstIndex { $0.id == actions[selected].deviceDataPointID } ?? 0
        case let other:
            return "Enter renames a mirror column or picks a map's data point; \(other.rawValue) has neither"
        }
        return nil
    }

    /// Enter in the data-point list: the highlighted point becomes the column's target.
    mutating func pick() {
        if let picking, dataPoints.indices.contains(picking), actions.indices.contains(selected) {
            actions[selected].deviceDataPointID = dataPoints[picking].id
        }
        picking = nil
    }

    mutating func setAll(_ action: ColumnActionKind, keepKey: Bool) {
        for index in actions.indices {
            let isKey = columns.first { $0.name == actions[index].sourceColumnName }?.isPrimaryKey ?? false
            guard !(keepKey && isKey) else { continue }
            actions[index] = ColumnAction(sourceColumnName: actions[index].sourceColumnName, action: action)
        }
    }

    func draw(into grid: inout CellGrid, frame: ScreenFrame) {
        let review = detail.review
        var frame = frame
        frame.breadcrumb =
            ReviewSource(review.scope).breadcrumb + [
                "\(review.deviceName ?? review.scope.rawValue)/\(review.sourceTable)", "column actions",
            ]
        frame.title =
            "Column actions for \(review.sourceTable) (\(review.strategy.rawValue)) · v\(review.actionVersion)"
            + (syncAuthority.map { " · \($0.rawValue)" } ?? "")
        frame.keys = keys
        if let editing { frame.status = ("mirror column name: \(editing)▏", .key) }
        let body = frame.draw(into: &grid)
        let markers = Dictionary(detail.diff.map { ($0.name, $0.marker) }, uniquingKeysWith: { first, _ in first })
        let byName = Dictionary(columns.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var table = TableView(
            columns: [
                TableView.Column("COLUMN", min: 8, max: 28), TableView.Column("TYPE", min: 7, max: 7),
                TableView.Column("PK", min: 2, max: 2),
                TableView.Column("CHANGE", min: 9, max: 19), TableView.Column("ACTION", min: 19, max: 19),
                TableView.Column("TARGET", min: 12, max: 40),
            ],
            rows: actions.map { action in
                let column = byName[action.sourceColumnName]
                let target =
                    action.effectiveMirrorColumnName
                    ?? action.deviceDataPointID.map { id in dataPoints.first { $0.id == id }?.name ?? id }
                    ?? (action.action == .autoCreateAndMap ? "new data point \(action.sourceColumnName)" : "-")
                return [
                    action.sourceColumnName, column?.declTypeAffinity.rawValue ?? "?",
                    (column?.isPrimaryKey ?? false) ? "PK" : "",
                    markers[action.sourceColumnName]?.rawValue ?? "-", action.action.rawValue, target,
                ]
            }
        )
        // The validator runs once per frame.
        let problem = self.problem
        let problemColumn = problem?.details?["column"]?.stringValue
        table.styles = actions.map { action in
            let bad = action.sourceColumnName == problemColumn
            return [bad ? .error : .plain, .muted, .key, .muted, bad ? .error : .title, .plain]
        }
        table.selected = actions.isEmpty ? nil : min(selected, actions.count - 1)
        let shown = table.draw(
            into: &grid,
            x: body.x,
            y: body.y,
            width: body.width,
            height: min(body.height / 2, actions.count + 1)
        )
        var y = body.y + shown.count + 2
        if let problem {
            grid.put("✗ \(problem.code.rawValue): \(problem.message)", x: body.x, y: y, style: .error)
            y += 2
        } else {
            grid.put("✓ ready: F2 approves with these \(actions.count) actions", x: body.x, y: y, style: .ok)
            y += 2
        }
        var heading = "Preview"
        let answer = problem == nil ? currentAnswer : nil
        if let answer {
            heading += " (\(answer.dialect), \(answer.targetExists ? "extends" : "creates") \(answer.targetTable))"
        }
        grid.put(heading, x: body.x, y: y, style: .title)
        y += 1
        for statement in previewLines {
            for line in TextWidth.wrap(statement, width: body.width - 2) where y < body.y + body.height {
                grid.put(line, x: body.x + 2, y: y, style: .muted)
                y += 1
            }
        }
        if let answer { drawLanding(answer, into: &grid, y: y, body: body) }
        if let picking {
            drawPicker(into: &grid, highlighted: picking, below: body.y + 2 + selected - shown.first, body: body)
        }
    }

    /// What the approval would stop writing, then the first staged rows as they would land.
    private func drawLanding(
        _ answer: ApprovalPreview,
        into grid: inout CellGrid,
        y top: Int,
        body: (x: Int, y: Int, width: Int, height: Int)
    ) {
        var y = top
        let bottom = body.y + body.height
        for column in answer.staleColumns where y < bottom {
            grid.put(
                "⚠ \(column) stops being updated: it keeps the values it has",
                x: body.x + 2,
                y: y,
                style: .warning,
                limit: body.width - 2
            )
            y += 1
        }
        guard y + 1 < bottom else { return }
        y += 1
        guard !answer.landing.isEmpty else {
            grid.put("No staged rows: nothing to replay yet", x: body.x, y: y, style: .muted)
            return
        }
        grid.put(
            "Rows as they would land (first \(answer.landing.count) of \(answer.stagedRows) staged)",
            x: body.x,
            y: y,
            style: .title,
            limit: body.width
        )
        var table = TableView(
            columns: (answer.landsChanges ? [TableView.Column("op", min: 2, max: 6)] : [])
                + answer.columns.map { TableView.Column($0, min: 4, max: 24) },
            rows: answer.landingCells(missing: "")
        )
        table.styles = answer.landing.map { row in
            Array(repeating: row.problem == nil ? CellStyle.plain : .error, count: table.columns.count)
        }
        let shown = table.draw(into: &grid, x: body.x + 2, y: y + 1, width: body.width - 2, height: bottom - y - 1)
        y += 2 + shown.count
        for row in answer.landing.prefix(shown.count) {
            if let problem = row.problem, y < bottom {
                grid.put("✗ \(problem)", x: body.x + 2, y: y, style: .error, limit: body.width - 2)
                y += 1
            }
        }
    }

    /// The data points of the device as a list just under the selected row.
    private func drawPicker(
        into grid: inout CellGrid,
        highlighted: Int,
        below top: Int,
        body: (x: Int, y: Int, width: Int, height: Int)
    ) {
        let width = min(body.width - 4, max(32, (dataPoints.map { TextWidth.of($0.name) }.max() ?? 0) + 6))
        ListPicker(
            title: "Data point for \(actions[selected].sourceColumnName) (\(dataPoints.count))",
            entries: dataPoints.map(\.name),
            highlighted: highlighted,
            footer: "Enter picks · Esc cancels"
        )
        .draw(
            into: &grid,
            x: body.x + body.width - width - 2,
            top: top,
            width: width,
            rows: max(3, body.y + body.height - top - 4)
        )
    }
}

extension ColumnEditorScreen: ConsoleScreen {
    var helpTitle: String { "Column-action editor" }

    /// The editor takes every key: names are typed here, and Space and ← → change actions.
    mutating func handle(_ key: Terminal.Key, _ context: ScreenContext) -> [ScreenCommand]? {
        guard case .editor(let id, let source) = context.route else { return nil }
        // An error answers the key before this one (`fix first: …`); F2 checks again.
        var commands: [ScreenCommand] = [.clearError]
        if let picking {
            switch key {
            case .escape: self.picking = nil
            case .up, .character("k"): self.picking = max(0, picking - 1)
            case .down, .character("j"): self.picking = min(dataPoints.count - 1, picking + 1)
            case .enter: pick()
            default: break
            }
            return commands
        }
        if let name = editing {
            switch key {
            case .escape: editing = nil
            case .backspace: editing = String(name.dropLast())
            case .enter:
                actions[selected].mirrorColumnName = name.isEmpty ? nil : name
                editing = nil
            case .character(let character): editing = name + String(character)
            default: break
            }
            return commands
        }
        switch key {
        case .up, .character("k"): selected = max(0, selected - 1)
        case .down, .character("j"): selected = min(max(0, actions.count - 1), selected + 1)
        case .character(" "), .right: cycleAction(by: 1)
        case .left: cycleAction(by: -1)
        case .enter: if let why = enter() { commands.append(.status(why, .warning)) }
        case .character("m"): setAll(.mirror, keepKey: false)
        case .character("i"): setAll(.ignore, keepKey: true)
        case .character("u"): actions = detail.suggestedActions
        case .character("?"): commands.append(.mode(.help))
        case .character("t"):
            syncAuthority = syncAuthority == .cloudAuthoritative ? .deviceAuthoritative : .cloudAuthoritative
        case .function(2), .character("\u{13}"):
            if let problem {
                commands.append(.status("fix first: \(problem.message)", .error))
                return commands
            }
            let approve = ConsoleApp.Mutation.approve(
                reviewID: id,
                source,
                actionVersion: detail.review.actionVersion,
                actions: actions,
                syncAuthority: syncAuthority
            )
            return [.back, .perform(approve)]
        case .escape: return [.back]
        default: break
        }
        return commands
    }
}

import EdgeSyncModels

/// Screen 5 (docs/spec/tui.md): a review with its column diff, classification and claim state, and the
/// suggested actions an approval with `a` would submit.
struct ReviewDetailScreen: Sendable {
    var detail: SchemaReviewDetail
    /// Set after `a`: the next `y` approves the suggested actions.
    var confirmingApproval = false

    var keys: [(key: String, action: String)] {
        if confirmingApproval { return [("y/a/F2", "approve these actions"), ("Esc", "cancel")] }
        var keys: [(key: String, action: String)] = []
        if detail.review.status == .queued { keys.append(("c", "claim")) }
        if detail.review.status == .inReview {
            keys += [("e", "edit actions"), ("a", "approve suggested"), ("x", "reject")]
        }
        if detail.review.status.isOpen { keys.append(("A", "abandon")) }
        if detail.review.lineageID != nil { keys.append(("d/w", "staged/written rows")) }
        return keys + [("Esc", "back"), ("r", "refresh"), ("q", "quit")]
    }

    static let columns = [
        TableView.Column("COLUMN", min: 8, max: 28), TableView.Column("CHANGE", min: 9, max: 19),
        TableView.Column("TYPE", min: 7, max: 16),
        TableView.Column("PK", min: 2, max: 5), TableView.Column("WAS BOUND", min: 9, max: 24),
        TableView.Column("SUGGESTED", min: 9, max: 40),
    ]

    var table: TableView {
        let suggested = Dictionary(
            detail.suggestedActions.map { ($0.sourceColumnName, $0) },
            uniquingKeysWith: { first, _ in first }
        )
        var table = TableView(
            columns: Self.columns,
            rows: detail.diff.map { column in
                let type =
                    column.previousAffinity.map {
                        $0 != column.affinity ? "\($0.rawValue)→\(column.affinity?.rawValue ?? "-")" : $0.rawValue
                    }
                    ?? column.affinity?.rawValue ?? "-"
                let action =
                    suggested[column.name].map { action in
                        action.action.rawValue + (action.effectiveMirrorColumnName.map { " → \($0)" } ?? "")
                    } ?? "-"
                return [
                    column.name, column.marker.rawValue, type, (column.pkOrdinal ?? 0) > 0 ? "PK" : "",
                    column.previousBinding?.action.rawValue ?? "-", action,
                ]
            }
        )
        table.styles = detail.diff.map { column in
            let marker: CellStyle =
                switch column.marker {
                case .unchanged: .muted
                case .added: .ok
                case .removed, .typeChanged, .pkChanged: .error
                case .nullabilityChanged: .warning
                }
            return [.plain, marker, column.marker == .typeChanged ? .error : .plain, .key, .muted, .plain]
        }
        return table
    }

    func draw(into grid: inout CellGrid, frame: ScreenFrame) {
        let review = detail.review
        var frame = frame
        frame.breadcrumb =
            ReviewSource(review.scope).breadcrumb + [
                "\(review.deviceName ?? review.scope.rawValue)/\(review.sourceTable)"
            ]
        frame.title =
            "Review of \(review.deviceName ?? review.scope.rawValue)/\(review.sourceTable) · schema \(review.schemaHash.prefix(12)) · v\(review.actionVersion)"
        frame.keys = keys
        let body = frame.draw(into: &grid)
        let x = body.x
        var y = body.y
        let status: CellStyle = review.status == .queued ? .warning : (review.status == .approved ? .ok : .plain)
        let written = grid.put("\(review.status.rawValue)", x: x, y: y, style: status)
        grid.put(
            " · \(review.classification.rawValue): \(review.classificationReason)"
                + (review.claimedBy.map { " · claimed by \($0)" } ?? ""),
            x: x + written,
            y: y
        )
        y += 1
        let staged = LineagesScreen.count(review.stagedRowCount)
        let backlog =
            switch review.status {
            case .queued, .inReview: "\(staged) staged rows wait for this decision"
            case .approved:
                review.stagedRowCount > 0
                    ? "\(staged) staged rows still to replay into the target" : "every staged row is in the target"
            case .rejected, .abandoned: "\(staged) staged rows wait for a later schema"
            }
        grid.put("\(backlog) · strategy \(review.strategy.rawValue)", x: x, y: y, style: .muted)
        y += 1
        // Why it was rejected or abandoned, as the decider wrote it.
        if let reason = review.reason, review.status == .rejected || review.status == .abandoned {
            grid.put("\(review.status.rawValue) because: \(reason)", x: x, y: y, style: .warning, limit: body.width)
            y += 1
        }
        y += 1
        let shown = table.draw(
            into: &grid,
            x: x,
            y: y,
            width: body.width,
            height: min(body.height - 6, detail.diff.count + 1)
        )
        y += shown.count + 2
        if confirmingApproval {
            let question =
                "Approve with the \(detail.suggestedActions.count) suggested actions above? The target is created "
                + "and the staged rows replayed. y (or a, or F2) approves, Esc cancels."
            for (offset, line) in TextWidth.wrap(question, width: grid.width - x - 1).enumerated() {
                grid.put(line, x: x, y: y + offset, style: .warning)
            }
        } else if let sample = detail.stagedSample.first, let row = sample.row {
            grid.put("Sample staged row: " + CanonicalJSON.string(of: .object(row)), x: x, y: y, style: .muted)
        }
    }
}

extension ReviewDetailScreen: ConsoleScreen {
    var helpTitle: String { "Review detail" }

    mutating func handle(_ key: Terminal.Key, _ context: ScreenContext) -> [ScreenCommand]? {
        guard case .review(let id, let source) = context.route else { return nil }
        let review = detail.review
        switch key {
        case .character("c") where review.status == .queued:
            return [.perform(.claim(reviewID: id, source, actionVersion: review.actionVersion))]
        // y, a again and F2 (the editor's approve) all confirm.
        case .character("y") where confirmingApproval, .character("a") where confirmingApproval,
            .function(2) where confirmingApproval:
            confirmingApproval = false
            let approve = ConsoleApp.Mutation.approve(
                reviewID: id,
                source,
                actionVersion: review.actionVersion,
                actions: detail.suggestedActions
            )
            return [.perform(approve)]
        case .escape where confirmingApproval:
            confirmingApproval = false
        case .character("a") where review.status == .inReview:
            confirmingApproval = true
        case .character("e") where review.status == .inReview:
            return [.open(.editor(id, source))]
        case .character("x") where review.status == .inReview:
            let dialog = ConfirmDialog(
                title: "Reject schema \(review.schemaHash.prefix(12)) of \(review.sourceTable)",
                effect:
                    "The lineage stays paused (rejected) and its staged rows stay until another schema is approved.",
                field: .text(label: "Reason", required: true)
            )
            return [.mode(.dialog(dialog, .reject(reviewID: id, source, actionVersion: review.actionVersion)))]
        case .character("A") where review.status.isOpen:
            let dialog = ConfirmDialog(
                title: "Abandon this review",
                effect: "Closes the review without a decision; the lineage keeps waiting for the next schema."
            )
            return [.mode(.dialog(dialog, .abandon(reviewID: id, source, actionVersion: review.actionVersion)))]
        case .character("d"), .character("w"):
            guard let lineageID = review.lineageID else { return [] }
            let name = "\(review.deviceName ?? "?")/\(review.sourceTable)"
            return [.open(.rows(lineageID: lineageID, name: name, written: key == .character("w")))]
        // Deciding keys on a review not claimed here say why they do nothing.
        case .character("e"), .character("x"), .character("a"):
            let why =
                review.status.isOpen
                ? "claim first: c" : "this review is \(review.status.rawValue): there is nothing to decide"
            return [.status(why, .warning)]
        default:
            return nil
        }
        return []
    }
}

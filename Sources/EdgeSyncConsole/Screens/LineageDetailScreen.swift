import EdgeSyncModels

/// Screen 2 (docs/spec/tui.md): one lineage with what an operator needs to act on it.
struct LineageDetailScreen: Sendable {
    var detail: LineageDetail
    var now: Timestamp

    var keys: [(key: String, action: String)] {
        let reset: [(key: String, action: String)] =
            detail.lineage.materializationFailureCount > 0 || detail.lineage.pauseReason == .materializationFailure
            ? [("x", "reset materialization")] : []
        let reingest: [(key: String, action: String)] =
            Self.reingestable(detail) == nil ? [] : [("i", "re-ingest rejected")]
        let writeBack: [(key: String, action: String)] =
            detail.lineage.syncAuthority == .cloudAuthoritative && detail.lineage.mirrorTable != nil
            ? [("W", "write back")] : []
        return [("d", "staged rows"), ("w", "written rows"), ("v", "review")] + reset + reingest + writeBack + [
            ("D", "delete"), ("Esc", "back"), ("r", "refresh"), ("q", "quit"),
        ]
    }

    /// The newest rejected batch whose bytes the server still keeps and that was not re-ingested.
    static func reingestable(_ detail: LineageDetail) -> BatchLedgerEntry? {
        detail.recentRejections.first { $0.payloadKept && $0.reingestedEntryID == nil }
    }

    /// What to do about the lineage's state, in one line.
    var hint: String {
        let lineage = detail.lineage
        switch (lineage.status, lineage.pauseReason) {
        case (.active, _): return "Active: batches materialize as they arrive."
        case (_, .schemaReview?):
            return "Waiting for a schema review: press v, claim it and approve its column actions."
        case (_, .backpressure?):
            return "Paused by backpressure: it resumes by itself once the backlog drains below the threshold."
        case (_, .materializationFailure?): return "Paused by the breaker: fix the cause, then reset materialization."
        case (_, .rejected?):
            return "The schema was rejected: the device must send another schema (or delete the lineage)."
        case (.paused, nil): return "Paused."
        }
    }

    func draw(into grid: inout CellGrid, frame: ScreenFrame) {
        let lineage = detail.lineage
        var frame = frame
        frame.breadcrumb = ["Lineages", "\(lineage.deviceName)/\(lineage.sourceTable)"]
        frame.title = "\(lineage.deviceName) / \(lineage.sourceTable)"
        frame.keys = keys
        let body = frame.draw(into: &grid)
        var y = body.y
        let status: CellStyle =
            lineage.status == .active ? .ok : (lineage.pauseReason == .schemaReview ? .warning : .error)
        let x = body.x
        var column = x + grid.put("Status ", x: x, y: y, style: .muted)
        column += grid.put(
            lineage.status.rawValue + (lineage.pauseReason.map { " (\($0.rawValue))" } ?? ""),
            x: column,
            y: y,
            style: status
        )
        grid.put("  " + hint, x: column, y: y, style: .muted)
        y += 1
        grid.put(
            "Strategy \(lineage.strategy.rawValue) · \(lineage.syncAuthority.rawValue) · mirror \(lineage.mirrorTable ?? "none yet")",
            x: x,
            y: y
        )
        y += 1
        grid.put(
            "Staged \(LineagesScreen.count(lineage.stagedRowCount)) rows (\(LineagesScreen.count(lineage.stagedBytes)) bytes) · "
                + "mirrored \(LineagesScreen.count(lineage.mirroredRowCount)) · last batch "
                + (lineage.lastBatchAt.map { LineagesScreen.age(seconds: Int(now.seconds - $0.seconds)) + " ago" }
                    ?? "never"),
            x: x,
            y: y
        )
        y += 1
        if lineage.materializationFailureCount > 0 || lineage.lastMaterializationError != nil {
            grid.put(
                "Materialization: \(lineage.materializationFailureCount) failures · \(lineage.lastMaterializationError ?? "")",
                x: x,
                y: y,
                style: .error
            )
            y += 1
        }
        if let replay = detail.replayIntent {
            grid.put(
                "Replay \(replay.state.rawValue): \(LineagesScreen.count(replay.replayedRows)) of \(LineagesScreen.count(replay.totalRows)) rows"
                    + (replay.lastError.map { " · \($0)" } ?? ""),
                x: x,
                y: y,
                style: replay.state == .failed ? .error : .plain
            )
            y += 1
        }
        y += 1
        grid.put("Column bindings", x: x, y: y, style: .title)
        y += 1
        if detail.bindings.isEmpty {
            grid.put("none: not approved yet", x: x + 2, y: y, style: .muted)
            y += 1
        }
        for binding in detail.bindings.prefix(max(0, (body.y + body.height) - y - 8)) {
            let target = binding.mirrorColumnName ?? binding.deviceDataPointID ?? ""
            grid.put(
                "\(TextWidth.pad(binding.sourceColumnName, to: 24)) \(TextWidth.pad(binding.action.rawValue, to: 20)) \(target)",
                x: x + 2,
                y: y
            )
            y += 1
        }
        y += 1
        grid.put("Schema versions", x: x, y: y, style: .title)
        y += 1
        for version in detail.schemaVersions.suffix(3) {
            grid.put(
                "\(version.schemaHash.prefix(12))  \(TextWidth.pad(version.classification.rawValue, to: 20)) \(version.decision.rawValue)",
                x: x + 2,
                y: y
            )
            y += 1
        }
        y += 1
        grid.put(
            "Pending controls: \(detail.pendingControls.isEmpty ? "none" : detail.pendingControls.map { "\($0.kind.rawValue) (sent \($0.sentCount)×)" }.joined(separator: ", "))",
            x: x,
            y: y,
            style: detail.pendingControls.isEmpty ? .muted : .warning
        )
        y += 1
        if !detail.recentRejections.isEmpty {
            grid.put(
                "Recent rejections: "
                    + detail.recentRejections.prefix(3).map { $0.rejectionCode?.rawValue ?? "?" }.joined(
                        separator: ", "
                    ) + (Self.reingestable(detail) == nil ? "" : " · kept: press i to re-ingest the newest"),
                x: x,
                y: y,
                style: .error
            )
        }
    }
}

extension LineageDetailScreen: ConsoleScreen {
    var helpTitle: String { "Lineage detail" }

    mutating func handle(_ key: Terminal.Key, _ context: ScreenContext) -> [ScreenCommand]? {
        let lineage = detail.lineage
        let id = lineage.id
        let name = "\(lineage.deviceName)/\(lineage.sourceTable)"
        switch key {
        case .character("d"), .character("w"):
            return [.open(.rows(lineageID: id, name: name, written: key == .character("w")))]
        case .character("x")
        where lineage.materializationFailureCount > 0 || lineage.pauseReason == .materializationFailure:
            let dialog = ConfirmDialog(
                title: "Reset materialization of \(name)",
                effect:
                    "Clears the failure counter; a lineage the breaker paused resumes and its device is told to publish again."
            )
            return [.mode(.dialog(dialog, .resetMaterialization(lineageID: id)))]
        case .character("i"):
            guard let rejected = Self.reingestable(detail) else { return [] }
            let dialog = ConfirmDialog(
                title: "Re-ingest rejected batch \(rejected.id) of \(name)",
                effect:
                    "Ingests its kept bytes again as if \(lineage.deviceName) had just sent them (\(rejected.rejectionCode?.rawValue ?? "rejected") last time). Rows already stored are not stored twice."
            )
            return [.mode(.dialog(dialog, .reingest(entryID: rejected.id)))]
        case .character("W") where lineage.syncAuthority == .cloudAuthoritative && lineage.mirrorTable != nil:
            let keyColumns =
                detail.schemaVersions.last { $0.decision == .approved }?.columns?.filter(\.isPrimaryKey)
                .sorted { $0.pkOrdinal < $1.pkOrdinal }.map(\.name) ?? []
            let form = WriteBackForm(table: lineage.sourceTable, bindings: detail.bindings, keyColumns: keyColumns)
            return [.mode(.writeBack(form, lineageID: id, deviceID: lineage.deviceID))]
        case .character("D"):
            let dialog = ConfirmDialog(
                title: "Delete lineage \(name)",
                effect: "Deletes its staged rows, ledger, reviews, bindings and mirror table. Nothing on the device.",
                field: .mustType(lineage.sourceTable)
            )
            return [.mode(.dialog(dialog, .deleteLineage(lineageID: id)))]
        case .character("v"):
            // A coalesced table's schema is decided by the registry review of its scope.
            if let review = detail.openReviewID { return [.open(.review(review, .device))] }
            if let review = detail.openRegistryReviewID { return [.open(.review(review, .registry))] }
            return [.status("no open review for this lineage", .muted)]
        default:
            return nil
        }
    }
}

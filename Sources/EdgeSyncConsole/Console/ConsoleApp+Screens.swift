import EdgeSyncModels
import Foundation

extension ConsoleApp {
    /// `n`/`p` (and PgDn/PgUp) on a paged list: nil when the key is not a paging key, else
    /// whether the page changed (and must be loaded).
    static func turnPage(_ key: Terminal.Key, _ meta: inout PageMeta) -> Bool? {
        switch key {
        case .character("n"), .pageDown:
            guard meta.page < meta.pageCount else { return false }
            meta.page += 1
            return true
        case .character("p"), .pageUp:
            guard meta.page > 1 else { return false }
            meta.page -= 1
            return true
        default:
            return nil
        }
    }

    /// ↑↓ (j k), Home and End on an id-anchored list; whether the key was one of them.
    @discardableResult
    static func select(_ key: Terminal.Key, _ selected: inout String?, in ids: [String]) -> Bool {
        switch key {
        case .up, .character("k"): selected = move(selected, in: ids, by: -1)
        case .down, .character("j"): selected = move(selected, in: ids, by: 1)
        case .home: selected = ids.first
        case .end: selected = ids.last
        default: return false
        }
        return true
    }

    /// Opens a review's detail (to be loaded), or says why there is none.
    static func open(
        review id: String?,
        _ source: ReviewSource,
        _ state: inout State,
        missing: String? = nil
    ) -> (Bool, Mutation?) {
        guard let id else {
            if let missing { state.frame.status = (missing, .muted) }
            return (false, nil)
        }
        state.review = nil
        state.stack.append(.review(id, source))
        return (true, nil)
    }

    /// Keys of the screen on top; returns whether to reload and a mutation to perform.
    func handleScreenKey(_ key: Terminal.Key, pageSize: Int, _ state: inout State) -> (Bool, Mutation?) {
        switch state.route {
        case .lineages:
            let ids = state.lineages.page.data.map(\.id)
            switch key {
            case .enter, .right:
                guard let id = state.lineages.selectedID ?? ids.first else { return (false, nil) }
                state.lineage = nil
                state.stack.append(.lineage(id))
                return (true, nil)
            case .character("n"), .pageDown, .character("p"), .pageUp:
                return (Self.turnPage(key, &state.lineages.page.meta) ?? false, nil)
            case .character("f"):
                state.lineages.statusFilter =
                    switch state.lineages.statusFilter {
                    case nil: .active
                    case .active?: .paused
                    case .paused?: nil
                    }
                state.lineages.page.meta.page = 1
                return (true, nil)
            case .character("s"):
                let sorts = LineagesScreen.sorts
                state.lineages.sort = sorts[(sorts.firstIndex(of: state.lineages.sort)! + 1) % sorts.count]
                return (true, nil)
            default: Self.select(key, &state.lineages.selectedID, in: ids)
            }
            state.lineages.page.meta.limit = pageSize
        case .lineage(let id):
            guard let detail = state.lineage?.detail else { return (false, nil) }
            let name = "\(detail.lineage.deviceName)/\(detail.lineage.sourceTable)"
            switch key {
            case .character("d"), .character("w"):
                state.rows = nil
                state.stack.append(.rows(lineageID: id, name: name, written: key == .character("w")))
                return (true, nil)
            case .character("x")
            where detail.lineage.materializationFailureCount > 0
                || detail.lineage.pauseReason == .materializationFailure:
                state.mode = .dialog(
                    ConfirmDialog(
                        title: "Reset materialization of \(name)",
                        effect:
                            "Clears the failure counter; a lineage the breaker paused resumes and its device is told to publish again."
                    ),
                    .resetMaterialization(lineageID: id)
                )
            case .character("i"):
                guard let rejected = LineageDetailScreen.reingestable(detail) else { return (false, nil) }
                state.mode = .dialog(
                    ConfirmDialog(
                        title: "Re-ingest rejected batch \(rejected.id) of \(name)",
                        effect:
                            "Ingests its kept bytes again as if \(detail.lineage.deviceName) had just sent them (\(rejected.rejectionCode?.rawValue ?? "rejected") last time). Rows already stored are not stored twice."
                    ),
                    .reingest(entryID: rejected.id)
                )
            case .character("W")
            where detail.lineage.syncAuthority == .cloudAuthoritative && detail.lineage.mirrorTable != nil:
                let keys =
                    detail.schemaVersions.last { $0.decision == .approved }?.columns?.filter(\.isPrimaryKey).sorted {
                        $0.pkOrdinal < $1.pkOrdinal
                    }.map(\.name) ?? []
                state.mode = .writeBack(
                    WriteBackForm(table: detail.lineage.sourceTable, bindings: detail.bindings, keyColumns: keys),
                    lineageID: id,
                    deviceID: detail.lineage.deviceID
                )
            case .character("D"):
                state.mode = .dialog(
                    ConfirmDialog(
                        title: "Delete lineage \(name)",
                        effect:
                            "Deletes its staged rows, ledger, reviews, bindings and mirror table. Nothing on the device.",
                        field: .mustType(detail.lineage.sourceTable)
                    ),
                    .deleteLineage(lineageID: id)
                )
            case .character("v"):
                return Self.open(
                    review: detail.openReviewID,
                    .device,
                    &state,
                    missing: "no open review for this lineage"
                )
            default: break
            }
        case .rows(let lineageID, let name, _):
            guard var rows = state.rows else { return (false, nil) }
            switch key {
            case .up, .character("k"): rows.selected = max(0, rows.selected - 1)
            case .down, .character("j"): rows.selected = min(max(0, rows.page.data.count - 1), rows.selected + 1)
            case .home: rows.selected = 0
            case .end: rows.selected = max(0, rows.page.data.count - 1)
            case .enter: rows.showingJSON = !rows.showingJSON && !rows.page.data.isEmpty
            case .left, .character("h"): rows.firstColumn = max(0, rows.firstColumn - 1)
            case .right, .character("l"):
                rows.firstColumn = min(max(0, rows.columnNames.count - 1), rows.firstColumn + 1)
            case .character("s"), .character("w"):
                state.stack[state.stack.count - 1] = .rows(
                    lineageID: lineageID,
                    name: name,
                    written: key == .character("w")
                )
                state.rows = nil
                return (true, nil)
            case .character("n"), .pageDown, .character("p"), .pageUp:
                let turned = Self.turnPage(key, &rows.page.meta) ?? false
                state.rows = rows
                return (turned, nil)
            case .escape, .backspace:
                state.stack.removeLast()
                return (true, nil)
            default: break
            }
            rows.page.meta.limit = pageSize
            state.rows = rows
        case .reviews(let source):
            let ids = state[reviews: source].page.data.map(\.id)
            switch key {
            case .enter, .right:
                return Self.open(review: state[reviews: source].selectedID ?? ids.first, source, &state)
            case .character("f"):
                let filters = ReviewsScreen.filters
                let index = filters.firstIndex { $0 == state[reviews: source].statusFilter } ?? 0
                state[reviews: source].statusFilter = filters[(index + 1) % filters.count]
                state[reviews: source].page.meta.page = 1
                return (true, nil)
            case .character("n"), .pageDown, .character("p"), .pageUp:
                return (Self.turnPage(key, &state[reviews: source].page.meta) ?? false, nil)
            default: Self.select(key, &state[reviews: source].selectedID, in: ids)
            }
            state[reviews: source].page.meta.limit = pageSize
        case .registry:
            let entries = state.registry.page.data
            let ids = entries.map(\.id)
            switch key {
            case .enter, .right:
                guard let entry = entries.first(where: { $0.id == state.registry.selectedID }) ?? entries.first else {
                    return (false, nil)
                }
                return Self.open(
                    review: entry.reviewID,
                    .registry,
                    &state,
                    missing: "no registry review for this entry"
                )
            case .character("v"):
                state.stack.append(.reviews(.registry))
                return (true, nil)
            case .character("n"), .pageDown, .character("p"), .pageUp:
                return (Self.turnPage(key, &state.registry.page.meta) ?? false, nil)
            default: Self.select(key, &state.registry.selectedID, in: ids)
            }
            state.registry.page.meta.limit = pageSize
        case .review(let id, let source):
            guard let review = state.review else { return (false, nil) }
            switch key {
            case .character("c") where review.detail.review.status == .queued:
                return (false, .claim(reviewID: id, source, actionVersion: review.detail.review.actionVersion))
            // y, a again and F2 (the editor's approve) all confirm.
            case .character("y") where review.confirmingApproval, .character("a") where review.confirmingApproval,
                .function(2) where review.confirmingApproval:
                state.review?.confirmingApproval = false
                return (
                    false,
                    .approve(
                        reviewID: id,
                        source,
                        actionVersion: review.detail.review.actionVersion,
                        actions: review.detail.suggestedActions
                    )
                )
            case .character("a") where review.detail.review.status == .inReview:
                state.review?.confirmingApproval = true
            case .character("e") where review.detail.review.status == .inReview:
                state.editor = nil
                state.stack.append(.editor(id, source))
                return (true, nil)
            case .character("x") where review.detail.review.status == .inReview:
                state.mode = .dialog(
                    ConfirmDialog(
                        title:
                            "Reject schema \(review.detail.review.schemaHash.prefix(12)) of \(review.detail.review.sourceTable)",
                        effect:
                            "The lineage stays paused (rejected) and its staged rows stay until another schema is approved.",
                        field: .text(label: "Reason", required: true)
                    ),
                    .reject(reviewID: id, source, actionVersion: review.detail.review.actionVersion)
                )
            case .character("A") where review.detail.review.status.isOpen:
                state.mode = .dialog(
                    ConfirmDialog(
                        title: "Abandon this review",
                        effect: "Closes the review without a decision; the lineage keeps waiting for the next schema."
                    ),
                    .abandon(reviewID: id, source, actionVersion: review.detail.review.actionVersion)
                )
            case .character("d"), .character("w"):
                guard let lineageID = review.detail.review.lineageID else { return (false, nil) }
                state.rows = nil
                state.stack.append(
                    .rows(
                        lineageID: lineageID,
                        name: "\(review.detail.review.deviceName ?? "?")/\(review.detail.review.sourceTable)",
                        written: key == .character("w")
                    )
                )
                return (true, nil)
            // Deciding keys on a review not claimed here say why they do nothing.
            case .character("e"), .character("x"), .character("a"):
                let status = review.detail.review.status
                state.frame.status = (
                    status.isOpen ? "claim first: c" : "this review is \(status.rawValue): there is nothing to decide",
                    .warning
                )
            default: break
            }
        case .devices:
            let devices = state.devices.page.data
            let ids = devices.map(\.id)
            let selected = devices.first { $0.id == state.devices.selectedID } ?? devices.first
            switch key {
            case .character("+"):
                state.mode = .dialog(
                    ConfirmDialog(
                        title: "Register a device",
                        effect: "Its name is its MQTT client id: 1–64 of A-Z a-z 0-9 . _ -",
                        field: .text(label: "Name", required: true)
                    ),
                    .registerDevice(name: "")
                )
            case .character("P"):
                guard let selected else { return (false, nil) }
                state.mode = .dialog(
                    ConfirmDialog(
                        title: "New password for \(selected.name)",
                        effect: "Replaces its password; the new one is shown once, on the status line."
                    ),
                    .issueCredentials(deviceID: selected.id, name: selected.name, kind: .password)
                )
            case .character("C"):
                guard let selected else { return (false, nil) }
                state.mode = .dialog(
                    ConfirmDialog(
                        title: "New certificate for \(selected.name)",
                        effect:
                            "Issues a client certificate; it, its key (0600) and the CA go to ./credentials/\(selected.name)."
                    ),
                    .issueCredentials(deviceID: selected.id, name: selected.name, kind: .certificate)
                )
            case .character("n"), .pageDown, .character("p"), .pageUp:
                return (Self.turnPage(key, &state.devices.page.meta) ?? false, nil)
            default: Self.select(key, &state.devices.selectedID, in: ids)
            }
            state.devices.page.meta.limit = pageSize
        case .policy:
            guard var policy = state.policy else { return (false, nil) }
            if key == .character("F") {
                // Project → each fleet → project; unsaved edits belong to the scope they were made in.
                let scopes: [Fleet?] = [nil] + policy.fleets
                let index = scopes.firstIndex { $0?.id == state.policyFleet?.id } ?? 0
                state.policyFleet = scopes[(index + 1) % scopes.count]
                state.policy = nil
                return (true, nil)
            }
            defer { state.policy = policy }
            switch key {
            case .up, .character("k"): policy.selected = max(0, policy.selected - 1)
            case .down, .character("j"): policy.selected = min(PolicyScreen.fields.count - 1, policy.selected + 1)
            case .enter, .character(" "): policy.change()
            case .character("u"): policy.draft = policy.saved
            case .function(2), .character("\u{13}"):
                guard policy.draft != policy.saved else {
                    state.frame.status = ("nothing changed", .muted)
                    return (false, nil)
                }
                return (false, .savePolicy(policy.patch, fleet: state.policyFleet))

            default: break
            }
        case .events:
            guard var events = state.events else { return (false, nil) }
            defer { state.events = events }
            switch key {
            case .up, .character("k"): events.selected = max(0, events.selected - 1)
            case .down, .character("j"): events.selected = min(max(0, events.shown.count - 1), events.selected + 1)
            case .home: events.selected = 0
            case .end: events.selected = max(0, events.shown.count - 1)
            case .enter: events.detailShown = !events.shown.isEmpty
            case .character("f"): events.pickKind()
            default: break
            }
        case .editor, .actionLog:
            break
        }
        return (false, nil)
    }

    /// The column-action editor's keys (text entry while a mirror name is being edited).
    func handleEditorKey(_ key: Terminal.Key, _ state: inout State) -> (Bool, Mutation?) {
        guard var editor = state.editor, case .editor(let id, let source) = state.route else { return (false, nil) }
        defer { state.editor = editor }
        // An error answers the key before this one (`fix first: …`); F2 checks again.
        if state.frame.status?.style == .error { state.frame.status = nil }
        if let picking = editor.picking {
            switch key {
            case .escape: editor.picking = nil
            case .up, .character("k"): editor.picking = max(0, picking - 1)
            case .down, .character("j"): editor.picking = min(editor.dataPoints.count - 1, picking + 1)
            case .enter: editor.pick()
            default: break
            }
            return (false, nil)
        }
        if let name = editor.editing {
            switch key {
            case .escape: editor.editing = nil
            case .backspace: editor.editing = String(name.dropLast())
            case .enter:
                editor.actions[editor.selected].mirrorColumnName = name.isEmpty ? nil : name
                editor.editing = nil
            case .character(let character): editor.editing = name + String(character)
            default: break
            }
            return (false, nil)
        }
        switch key {
        case .up, .character("k"): editor.selected = max(0, editor.selected - 1)
        case .down, .character("j"): editor.selected = min(max(0, editor.actions.count - 1), editor.selected + 1)
        case .character(" "), .right: editor.cycleAction(by: 1)
        case .left: editor.cycleAction(by: -1)
        case .enter: if let why = editor.enter() { state.frame.status = (why, .warning) }
        case .character("m"): editor.setAll(.mirror, keepKey: false)
        case .character("i"): editor.setAll(.ignore, keepKey: true)
        case .character("u"): editor.actions = editor.detail.suggestedActions
        case .character("?"): state.mode = .help
        case .character("t"):
            editor.syncAuthority =
                editor.syncAuthority == .cloudAuthoritative ? .deviceAuthoritative : .cloudAuthoritative
        case .function(2), .character("\u{13}"):
            if let problem = editor.problem {
                state.frame.status = ("fix first: \(problem.message)", .error)
                return (false, nil)
            }
            state.stack.removeLast()
            return (
                false,
                .approve(
                    reviewID: id,
                    source,
                    actionVersion: editor.detail.review.actionVersion,
                    actions: editor.actions,
                    syncAuthority: editor.syncAuthority
                )
            )
        case .escape:
            state.stack.removeLast()
            return (true, nil)
        default: break
        }
        return (false, nil)
    }
}

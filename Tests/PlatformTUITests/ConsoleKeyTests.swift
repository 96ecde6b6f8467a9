import EdgeSyncModels
import Foundation
import Testing

@testable import EdgeSyncConsole

/// The console's reducer without a terminal or a server: each defect an operator met is a key
/// sequence and the state (and effects) it must produce.
@Suite("Console keys")
struct ConsoleKeyTests {
    @Test func registryListMovesAndOpensRegistryReviews() {
        let entries = (1...3).map { index in
            RegistryEntry(
                id: "entry-\(index)",
                projectID: "project",
                scope: .project,
                fleetID: nil,
                sourceTable: "t\(index)",
                schemaHash: String(repeating: "a", count: 64),
                columns: nil,
                decision: .pending,
                reviewID: index == 2 ? nil : "review-\(index)",
                createdAt: Fixtures.now,
                updatedAt: Fixtures.now
            )
        }
        var console = ConsoleDriver(on: .registry)
        console.state.registry.page = PageEnvelope(data: entries, meta: PageMeta(page: 1, limit: 50, total: 3))
        console.press(.end)
        #expect(console.state.registry.selectedID == "entry-3")
        console.press(.home)
        #expect(console.state.registry.selectedID == "entry-1")
        console.press(.down, .enter)
        #expect(console.state.route == .registry)
        #expect(console.state.frame.status?.text == "no registry review for this entry")
        let effects = console.press(.down, .enter)
        #expect(effects.contains { $0.isLoad } && console.state.route == .review("review-3", .registry))
        console.state.stack = [.registry]
        console.press(.character("v"))
        #expect(console.state.route == .reviews(.registry))
    }

    /// `/` on every list sends its text to the API: the prompt says what it matches, Enter applies
    /// it from the first page and reloads, Esc leaves the filter as it was.
    @Test func slashFiltersEveryListThroughTheAPI() {
        for (route, hint) in [
            (ConsoleApp.Route.reviews(.device), "device or table"), (.reviews(.registry), "table"),
            (.registry, "table"), (.devices, "name or id"), (.lineages, "device or table"),
            (.rows(lineageID: "l", name: "pump-7/device_state", written: true), "text in a text column"),
            (.rows(lineageID: "l", name: "pump-7/device_state", written: false), "text in the row's JSON"),
        ] {
            var console = ConsoleDriver(on: route)
            if case .rows(_, let name, let written) = route {
                console.state.rows = RowsScreen(lineageName: name, written: written, page: Fixtures.rows)
            }
            guard var list = console.state.top as? any TextFilteredList else {
                Issue.record("\(route) has no text filter")
                continue
            }
            list.pageMeta = PageMeta(page: 3, limit: 20, total: 100)
            console.state.top = list
            console.press(.character("/"))
            console.type("pump 7")
            #expect(console.render(width: 120).text.contains("/pump 7▏  (\(hint), !text inverts"), "\(route)")
            let effects = console.press(.enter)
            let filtered = console.state.top as? any TextFilteredList
            #expect(filtered?.query == "pump 7" && filtered?.pageMeta.page == 1, "\(route)")
            #expect(filtered?.queryParameter == "&q=pump%207" && effects.contains { $0.isLoad }, "\(route)")
            console.press(.character("/"), .backspace, .escape)
            #expect((console.state.top as? any TextFilteredList)?.query == "pump 7", "\(route)")
            console.press(.character("/"))
            console.press(.backspace, .backspace, .backspace, .backspace, .backspace, .backspace, .enter)
            #expect((console.state.top as? any TextFilteredList)?.query == nil, "\(route)")
        }
    }

    /// A coalesced table's lineage waits on the registry review of its scope: `v` opens that.
    @Test func aLineageOpensItsDeviceReviewOrTheRegistryReviewItWaitsOn() {
        var detail = Fixtures.detail
        var console = ConsoleDriver(on: .lineage(detail.lineage.id))
        for (device, registry, route) in [
            ("review-1", nil, ConsoleApp.Route.review("review-1", .device)),
            (nil, "review-9", .review("review-9", .registry)),
            (nil, nil, .lineage(detail.lineage.id)),
        ] {
            (detail.openReviewID, detail.openRegistryReviewID) = (device, registry)
            console.state.stack = [.lineage(detail.lineage.id)]
            console.state.lineage = LineageDetailScreen(detail: detail, now: Fixtures.now)
            console.press(.character("v"))
            #expect(console.state.route == route)
        }
        #expect(console.state.frame.status?.text == "no open review for this lineage")
    }

    @Test func policyCyclesThroughTheFleets() {
        let fleets = ["north", "south"].map {
            Fleet(
                id: "fleet-\($0)",
                projectID: "project",
                name: $0,
                deviceCount: 1,
                hasOwnPolicy: false,
                createdAt: Fixtures.now
            )
        }
        var console = ConsoleDriver(on: .policy)
        for expected in ["fleet-north", "fleet-south", nil] {
            console.state.loading = false
            console.state.policy = PolicyScreen(policy: .defaults, fleet: console.state.policyFleet, fleets: fleets)
            let effects = console.press(.character("F"))
            #expect(effects.contains { $0.isLoad })
            #expect(console.state.policyFleet?.id == expected && console.state.policy == nil)
        }
    }

    @Test func aTokenWithoutOperateCannotClaim() {
        let access = ConsoleAccess(readonlyFlag: false, token: CurrentToken(id: "t", name: "auditor", scopes: ["read"]))
        var console = ConsoleDriver.onReview(status: .queued, access: access)
        let effects = console.press(.character("c"))
        #expect(console.state.frame.status?.text.hasPrefix("the token auditor lacks the operate scope") == true)
        #expect(effects.isEmpty, "nothing is sent")
    }

    @Test func aClaimIsSentAndItsResultLoggedAndReloaded() {
        var console = ConsoleDriver.onReview(status: .queued)
        let effects = console.press(.character("c"))
        guard case .perform(.claim("review-2", .device, 2), let summary)? = effects.first else {
            Issue.record("c did not claim: \(effects)")
            return
        }
        #expect(summary == "claim device review of pump-7/device_state")
        let after = console.send(
            .performed(effects[0].mutation!, summary: summary, .done("claimed", .ok, nil), at: Date())
        )
        #expect(after.contains { $0.isLoad }, "a mutation reloads the screen")
        #expect(console.state.actions.first?.action == summary && console.state.actions.first?.ok == true)
        console.state.loading = false
        console.send(
            .performed(
                effects[0].mutation!,
                summary: summary,
                .failed("action_version_conflict: version 3", versionConflict: true),
                at: Date()
            )
        )
        #expect(console.state.frame.status?.text == "action_version_conflict: version 3 (the review changed; reloaded)")
        #expect(console.state.actions.first?.ok == false)
    }

    @Test func spaceChangesAPolicyFieldAndPausesElsewhereWithABadge() {
        var console = ConsoleDriver(on: .policy)
        console.state.policy = PolicyScreen(policy: .defaults)
        console.state.policy?.selected = 1
        console.press(.character(" "))
        #expect(console.state.policy?.draft.allowAdditiveContinue == !Policy.defaults.allowAdditiveContinue)
        #expect(!console.state.refreshPaused, "Space on the policy screen changes the field, nothing else")
        console.state.stack = [.lineages]
        console.press(.character(" "))
        #expect(console.state.refreshPaused)
        #expect(console.send(.tick(.distantFuture)).isEmpty, "a paused console loads nothing")
        let header = console.render(width: 120, height: 40).lines[0]
        #expect(header.contains("connected · ⏸ paused"), "the badge stays while paused: \(header)")
        console.press(.character(" "))
        #expect(!console.render(width: 120, height: 40).lines[0].contains("⏸"))
    }

    @Test func aStatusMessageBelongsToItsScreenAndExpires() {
        var state = ConsoleDriver().state
        state.frame.status = ("policy saved", .ok)
        #expect(state.statusIsCurrent(now: .now))
        #expect(!state.statusIsCurrent(now: Date() + ConsoleApp.statusLifetime + 1), "it expires")
        state.stack.append(.devices)
        #expect(!state.statusIsCurrent(now: .now), "not shown on another screen")
        state.stack.removeLast()
        state.frame.counts.lineages.active = 3
        #expect(state.statusIsCurrent(now: .now), "a refresh of the counts keeps it")
    }

    @Test func theNextKeyInTheEditorClearsAFixFirstError() {
        var console = ConsoleDriver.onEditor()
        console.state.frame.status = ("fix first: the name is taken", .error)
        console.press(.down)
        #expect(console.state.frame.status == nil)
    }

    @Test func qClosesTheJumpPromptWithoutQuitting() {
        var console = ConsoleDriver()
        console.press(.character(":"), .character("q"))
        #expect(console.state.mode == nil && !console.state.quit)
        console.press(.character(":"))
        console.type("devices")
        let effects = console.press(.enter)
        #expect(console.state.stack == [.devices] && effects.contains { $0.isLoad })
        console.press(.character(":"))
        console.type("nowhere")
        console.press(.enter)
        #expect(console.state.frame.status?.text.hasPrefix(":nowhere is not a screen here") == true)
    }

    @Test func aRejectionNeedsAReasonAndSaysSo() {
        var console = ConsoleDriver.onReview(status: .inReview)
        console.press(.character("x"), .enter)
        #expect(console.state.mode?.dialog?.armed == false, "an empty reason is not accepted")
        #expect(console.render().text.contains("Reason may not stay empty"))
        console.type("ok")
        console.press(.enter)
        #expect(console.render().text.contains("y confirms"))
        let effects = console.press(.character("y"))
        guard case .reject(_, _, _, "ok")? = effects.first?.mutation else {
            Issue.record("y did not reject with the reason: \(effects)")
            return
        }
    }

    @Test func aNewCertificateIsConfirmedAndNoPasswordReachesTheLog() {
        var console = ConsoleDriver(on: .devices)
        console.state.devices = Fixtures.devicesScreen
        console.state.devices.selectedID = console.state.devices.page.data.first?.id
        console.press(.character("C"))
        #expect(console.state.mode?.dialog?.title == "New certificate for pump-7", "C asks first, like P")
        let password = ConsoleApp.Mutation.issueCredentials(deviceID: "d", name: "pump-7", kind: .password)
        #expect(!password.logged("password for pump-7 (shown once): es_secret").contains("es_secret"))
    }

    @Test func decidingBeforeClaimingSaysClaimFirst() {
        var console = ConsoleDriver.onReview(status: .queued)
        for key in ["e", "x", "a"] {
            console.state.frame.status = nil
            console.type(key)
            #expect(console.state.frame.status?.text == "claim first: c")
            #expect(console.state.route == .review("review-2", .device))
        }
    }

    @Test func enterOnAMapWithoutDataPointsSaysWhy() {
        var console = ConsoleDriver.onEditor()
        console.state.editor?.dataPoints = []
        console.state.editor?.selected = 0
        console.state.editor?.actions[0].action = .map
        console.press(.enter)
        #expect(console.state.frame.status?.text.hasPrefix("no data point to map to") == true)
        #expect(console.state.editor?.picking == nil)
    }

    @Test func yAAndF2AllConfirmTheSuggestedApproval() {
        for key in [Terminal.Key.character("y"), .character("a"), .function(2)] {
            var console = ConsoleDriver.onReview(status: .inReview)
            console.press(.character("a"))
            #expect(console.state.review?.confirmingApproval == true)
            guard case .approve? = console.press(key).first?.mutation else {
                Issue.record("\(key) did not approve")
                continue
            }
            #expect(console.state.review?.confirmingApproval == false)
        }
        var console = ConsoleDriver.onReview(status: .inReview)
        #expect(console.press(.character("a"), .escape).isEmpty)
        #expect(
            console.state.review?.confirmingApproval == false && console.state.route == .review("review-2", .device)
        )
    }

    @Test func theEditorOpensTheHelpAndOffersOnlyTheStrategysActions() {
        var console = ConsoleDriver.onEditor()
        console.state.editor?.selected = 1
        // A rows lineage: Space cycles mirror → ignore → defer → mirror, never to map.
        var seen: [ColumnActionKind] = []
        for _ in 0..<3 {
            console.press(.character(" "))
            seen += console.state.editor.map { [$0.actions[1].action] } ?? []
        }
        #expect(seen == [.ignore, .defer, .mirror])
        console.press(.character("?"))
        let help = console.render().text
        #expect(help.contains("Keys: ") && help.contains("rename / data point") && help.contains("sync authority"))
        console.press(.character("x"))
        #expect(console.state.mode == nil && console.state.route == .editor("review-2", .device))
    }

    @Test func theEditorAsksForAPreviewOncePerChangeAndApprovesOnF2() {
        var console = ConsoleDriver.onEditor()
        let first = console.send(.tick(.distantPast))
        guard case .preview("review-2", .device, let asked)? = first.first(where: { !$0.isLoad }) else {
            Issue.record("no preview asked: \(first)")
            return
        }
        #expect(!console.press(.down).contains { if case .preview = $0 { true } else { false } }, "nothing changed")
        let changed = console.press(.character(" "))
        #expect(changed.contains { if case .preview(_, _, let actions) = $0 { actions != asked } else { false } })
        let approve = console.press(.function(2))
        guard case .approve(_, _, _, let actions, _)? = approve.first?.mutation else {
            Issue.record("F2 did not approve: \(approve)")
            return
        }
        #expect(actions != asked && console.state.route == .review("review-2", .device))
    }

    @Test func theActionLogNamesReviewsAndLineagesByDeviceAndTable() {
        let console = ConsoleDriver.onReview(status: .inReview)
        let approve = ConsoleApp.Mutation.approve(reviewID: "review-2", .device, actionVersion: 2, actions: [])
        let named = approve.summary(named: approve.subject(in: console.state))
        #expect(named == "approve device review of pump-7/device_state with 0 column actions")
        #expect(ConsoleApp.Mutation.deleteLineage(lineageID: "0193abcdef").summary() == "delete lineage 0193abcd")
    }

    /// One mode at a time: with the reject dialog open, `?` and `:` are text of its reason, not
    /// the help or the jump prompt; Esc closes the dialog and nothing else.
    @Test func aDialogTakesEveryKeyUntilItCloses() {
        var console = ConsoleDriver.onReview(status: .inReview)
        console.press(.character("x"), .character("?"), .character(":"))
        #expect(console.state.mode?.dialog?.text == "?:")
        console.press(.escape)
        #expect(console.state.mode == nil && console.state.route == .review("review-2", .device))
    }

    @Test func escOnATopScreenSaysWhereToGo() {
        var console = ConsoleDriver(on: .policy)
        console.state.policy = PolicyScreen(policy: .defaults)
        #expect(console.press(.escape).isEmpty)
        #expect(console.state.frame.status?.text.hasPrefix("this is a top screen: : jumps to another") == true)
        #expect(console.state.stack == [.policy])
    }

    @Test func aLetterInANumberFieldSaysItIsNotADigit() {
        var console = ConsoleDriver(on: .policy)
        console.state.policy = PolicyScreen(policy: .defaults)
        let number = PolicyScreen.fields.indices.first { index in
            var screen = PolicyScreen(policy: .defaults)
            screen.selected = index
            screen.change()
            return screen.editing != nil
        }
        console.state.policy?.selected = number ?? 0
        console.press(.enter, .character("x"))
        #expect(console.state.frame.status?.text == "x is not a digit: this field takes a whole number")
        console.press(.escape)
        #expect(console.state.policy?.editing == nil && console.state.stack == [.policy])
    }

    @Test func theDefaultOrderIsStableAndSPicksAnother() {
        var console = ConsoleDriver()
        #expect(console.state.lineages.sort == .device)
        let effects = console.press(.character("s"))
        #expect(console.state.lineages.sort == .updatedAt && effects.contains { $0.isLoad })
    }

    @Test func escInTheRowsViewClosesTheJSONFirstAndLeftScrolls() {
        var console = ConsoleDriver(on: .rows(lineageID: "l", name: "pump-7/device_state", written: true))
        console.state.stack.insert(.lineages, at: 0)
        console.state.rows = RowsScreen(lineageName: "pump-7/device_state", written: true, page: Fixtures.rows)
        console.press(.right, .right, .left)
        #expect(console.state.rows?.firstColumn == 1 && console.state.route != .lineages, "← scrolls, it is not back")
        console.press(.enter, .escape)
        #expect(console.state.rows?.showingJSON == false && console.state.stack.count == 2)
        console.press(.escape)
        #expect(console.state.stack == [.lineages])
    }

    /// A refresh backs off after failures, a load that lands after its screen was left is not
    /// shown there and the next load is due at once, and a load is never asked twice.
    @Test func refreshesBackOffAndLandOnlyOnTheirScreen() {
        var console = ConsoleDriver()
        let start = Date()
        #expect(console.send(.tick(start)).contains { $0.isLoad })
        #expect(console.send(.tick(start + 60)).isEmpty, "one load at a time")
        console.send(.loadFailed("unreachable: connection refused", unreachable: true, at: start))
        console.send(.tick(start))
        console.send(.loadFailed("unreachable: connection refused", unreachable: true, at: start))
        #expect(!console.state.frame.connected && console.state.failures == 2)
        #expect(console.send(.tick(start + 19)).isEmpty, "two failures: 5 s × 4")
        #expect(console.send(.tick(start + 21)).contains { $0.isLoad })
        console.press(.character("L"))
        let page = PageEnvelope(data: Fixtures.lineages, meta: PageMeta(page: 1, limit: 20, total: 3))
        console.send(.loaded(.lineages, ConsoleDriver.counts, { $0.lineages.page = page }, at: start + 22))
        #expect(console.state.lineages.page.data.isEmpty, "the action log is on: the lineages page is not applied")
        #expect(
            console.state.frame.connected && console.state.failures == 0
                && console.state.frame.counts.devices.connected == 1
        )
        #expect(console.send(.tick(start + 22)).contains { $0.isLoad }, "the screen on is loaded at once")
    }

    @Test func theLiveStreamRunsWhileTheEventsScreenIsOn() {
        var console = ConsoleDriver()
        console.press(.character(":"))
        console.type("events")
        console.press(.enter)
        let loaded = console.send(
            .loaded(.events, ConsoleDriver.counts, { $0.events = EventsScreen(now: Fixtures.now) }, at: Date())
        )
        #expect(loaded.contains { if case .streamEvents(true) = $0 { true } else { false } })
        let left = console.press(.character("q"))
        #expect(left.contains { if case .streamEvents(false) = $0 { true } else { false } } && console.state.quit)
    }

    /// Two previews in flight, answered out of order: the older answer, landing last, is dropped,
    /// so the preview shows the latest actions' answer (it stayed at "…" for ever).
    @Test func aPreviewAnswerForOlderActionsLandingLastIsDropped() {
        var editor = ColumnEditorScreen(detail: Fixtures.reviewDetail)
        let older = editor.actions
        editor.requested = older
        editor.actions[2].mirrorColumnName = "area"
        let latest = editor.actions
        editor.requested = latest
        let answer = ApprovalPreview(targetTable: "t", targetExists: true, statements: ["ALTER"], dialect: "sqlite")
        editor.receive(.statements(answer), for: latest)
        editor.receive(
            .statements(ApprovalPreview(targetTable: "t", targetExists: true, statements: [], dialect: "sqlite")),
            for: older
        )
        #expect(editor.previewLines == ["ALTER"] && editor.previewDue == nil)
    }
}

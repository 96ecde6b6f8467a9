import EdgeSyncModels
import Foundation
import Testing

@testable import EdgeSyncConsole

/// Key handling on the console's state, without a terminal or a server: list movement, the
/// registry's routes, the fleet switch, and what a token without `operate` may not do.
@Suite("Console keys")
struct ConsoleKeyTests {
    static func app(access: ConsoleAccess = .full) -> ConsoleApp {
        ConsoleApp(
            client: APIClient(baseURL: "http://127.0.0.1:9", token: "none"),
            project: Project(
                id: "project",
                orgID: "org",
                name: "default",
                topicSlug: "dev",
                createdAt: Fixtures.now
            ),
            serverLabel: "test",
            access: access
        )
    }

    /// A console on the fixture review's detail, the review in `status`.
    static func onReview(status: ReviewStatus, access: ConsoleAccess = .full) -> ConsoleApp {
        let app = Self.app(access: access)
        app.state.withLock { state in
            state.stack = [.review("review-2", .device)]
            state.review = ReviewDetailScreen(detail: Fixtures.reviewDetail)
            state.review?.detail.review.status = status
        }
        return app
    }

    @Test func registryListMovesAndOpensRegistryReviews() {
        let app = Self.app()
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
        app.state.withLock { state in
            state.stack = [.registry]
            state.registry.page = PageEnvelope(data: entries, meta: PageMeta(page: 1, limit: 50, total: 3))
            _ = app.handleScreenKey(.end, pageSize: 20, &state)
            #expect(state.registry.selectedID == "entry-3")
            _ = app.handleScreenKey(.home, pageSize: 20, &state)
            #expect(state.registry.selectedID == "entry-1")
            _ = app.handleScreenKey(.down, pageSize: 20, &state)
            _ = app.handleScreenKey(.enter, pageSize: 20, &state)
            #expect(state.route == .registry && state.frame.status?.text == "no registry review for this entry")
            _ = app.handleScreenKey(.down, pageSize: 20, &state)
            let (reload, _) = app.handleScreenKey(.enter, pageSize: 20, &state)
            #expect(reload && state.route == .review("review-3", .registry))
            state.stack = [.registry]
            _ = app.handleScreenKey(.character("v"), pageSize: 20, &state)
            #expect(state.route == .reviews(.registry))
        }
    }

    @Test func policyCyclesThroughTheFleets() {
        let app = Self.app()
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
        app.state.withLock { state in
            state.stack = [.policy]
            for expected in ["fleet-north", "fleet-south", nil] {
                state.policy = PolicyScreen(policy: .defaults, fleet: state.policyFleet, fleets: fleets)
                let (reload, _) = app.handleScreenKey(.character("F"), pageSize: 20, &state)
                #expect(reload && state.policyFleet?.id == expected && state.policy == nil)
            }
        }
    }

    @Test func aTokenWithoutOperateCannotClaim() {
        let access = ConsoleAccess(readonlyFlag: false, token: CurrentToken(id: "t", name: "auditor", scopes: ["read"]))
        let app = Self.onReview(status: .queued, access: access)
        app.handle(.character("c"), pageSize: 20)
        let status = app.state.withLock { $0.frame.status }
        #expect(status?.text.hasPrefix("the token auditor lacks the operate scope") == true)
        #expect(app.state.withLock { $0.actions.isEmpty }, "nothing was sent")
    }

    @Test func spaceChangesAPolicyFieldAndPausesElsewhereWithABadge() {
        let app = Self.app()
        app.state.withLock { state in
            state.stack = [.policy]
            state.policy = PolicyScreen(policy: .defaults)
            state.policy?.selected = 1
        }
        app.handle(.character(" "), pageSize: 20)
        app.state.withLock { state in
            #expect(state.policy?.draft.allowAdditiveContinue == !Policy.defaults.allowAdditiveContinue)
            #expect(!state.refreshPaused, "Space on the policy screen changes the field, nothing else")
            state.stack = [.lineages]
        }
        app.handle(.character(" "), pageSize: 20)
        #expect(app.state.withLock { $0.refreshPaused })
        let header = app.render(width: 120, height: 40).lines[0]
        #expect(header.contains("connected · ⏸ paused"), "the badge stays while paused: \(header)")
        app.handle(.character(" "), pageSize: 20)
        #expect(!app.render(width: 120, height: 40).lines[0].contains("⏸"))
    }

    @Test func aStatusMessageBelongsToItsScreenAndExpires() {
        var state = Self.app().state.withLock { $0 }
        state.stack = [.lineages]
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
        let app = Self.app()
        app.state.withLock { state in
            state.stack = [.editor("review-2", .device)]
            state.editor = ColumnEditorScreen(detail: Fixtures.reviewDetail)
            state.frame.status = ("fix first: the name is taken", .error)
        }
        app.handle(.down, pageSize: 20)
        #expect(app.state.withLock { $0.frame.status == nil })
    }

    @Test func qClosesTheJumpPromptWithoutQuitting() {
        let app = Self.app()
        app.handle(.character(":"), pageSize: 20)
        app.handle(.character("q"), pageSize: 20)
        #expect(app.state.withLock { $0.mode == nil && !$0.quit })
    }

    @Test func aRejectionNeedsAReasonAndSaysSo() {
        let app = Self.onReview(status: .inReview)
        app.handle(.character("x"), pageSize: 20)
        app.handle(.enter, pageSize: 20)
        #expect(app.state.withLock { $0.mode?.dialog?.armed == false }, "an empty reason is not accepted")
        #expect(app.render(width: 80, height: 24).text.contains("Reason may not stay empty"))
        for key in [Terminal.Key.character("o"), .character("k"), .enter] { app.handle(key, pageSize: 20) }
        #expect(app.render(width: 80, height: 24).text.contains("y confirms"))
    }

    @Test func aNewCertificateIsConfirmedAndNoPasswordReachesTheLog() {
        let app = Self.app()
        app.state.withLock { state in
            state.stack = [.devices]
            state.devices = Fixtures.devicesScreen
            state.devices.selectedID = state.devices.page.data.first?.id
            _ = app.handleScreenKey(.character("C"), pageSize: 20, &state)
            #expect(state.mode?.dialog?.title == "New certificate for pump-7", "C asks first, like P")
        }
        let password = ConsoleApp.Mutation.issueCredentials(deviceID: "d", name: "pump-7", kind: .password)
        #expect(!password.logged("password for pump-7 (shown once): es_secret").contains("es_secret"))
    }

    @Test func decidingBeforeClaimingSaysClaimFirst() {
        let app = Self.onReview(status: .queued)
        app.state.withLock { state in
            for key in ["e", "x", "a"] {
                state.frame.status = nil
                _ = app.handleScreenKey(.character(Character(key)), pageSize: 20, &state)
                #expect(state.frame.status?.text == "claim first: c" && state.route == .review("review-2", .device))
            }
        }
    }

    @Test func enterOnAMapWithoutDataPointsSaysWhy() {
        let app = Self.app()
        app.state.withLock { state in
            state.stack = [.editor("review-2", .device)]
            var editor = ColumnEditorScreen(detail: Fixtures.reviewDetail)
            editor.dataPoints = []
            editor.selected = 0
            editor.actions[0].action = .map
            state.editor = editor
        }
        app.handle(.enter, pageSize: 20)
        #expect(app.state.withLock { $0.frame.status?.text.hasPrefix("no data point to map to") == true })
        #expect(app.state.withLock { $0.editor?.picking == nil })
    }

    @Test func yAAndF2AllConfirmTheSuggestedApproval() {
        for key in [Terminal.Key.character("y"), .character("a"), .function(2)] {
            let app = Self.onReview(status: .inReview)
            app.state.withLock { state in
                _ = app.handleScreenKey(.character("a"), pageSize: 20, &state)
                #expect(state.review?.confirmingApproval == true)
                let (_, mutation) = app.handleScreenKey(key, pageSize: 20, &state)
                guard case .approve? = mutation else {
                    Issue.record("\(key) did not approve")
                    return
                }
                #expect(state.review?.confirmingApproval == false)
            }
        }
    }

    @Test func theEditorOpensTheHelpAndOffersOnlyTheStrategysActions() {
        let app = Self.app()
        app.state.withLock { state in
            state.stack = [.editor("review-2", .device)]
            state.editor = ColumnEditorScreen(detail: Fixtures.reviewDetail)
            state.editor?.selected = 1
        }
        // A rows lineage: Space cycles mirror → ignore → defer → mirror, never to map.
        var seen: [ColumnActionKind] = []
        for _ in 0..<3 {
            app.handle(.character(" "), pageSize: 20)
            seen += app.state.withLock { $0.editor.map { [$0.actions[1].action] } ?? [] }
        }
        #expect(seen == [.ignore, .defer, .mirror])
        app.handle(.character("?"), pageSize: 20)
        let help = app.render(width: 80, height: 24).text
        #expect(help.contains("Keys: ") && help.contains("rename / data point") && help.contains("sync authority"))
        app.handle(.character("x"), pageSize: 20)
        #expect(app.state.withLock { $0.mode == nil && $0.route == .editor("review-2", .device) })
    }

    @Test func theActionLogNamesReviewsAndLineagesByDeviceAndTable() {
        let app = Self.onReview(status: .inReview)
        let approve = ConsoleApp.Mutation.approve(reviewID: "review-2", .device, actionVersion: 2, actions: [])
        let named = app.state.withLock { approve.summary(named: approve.subject(in: $0)) }
        #expect(named == "approve device review of pump-7/device_state with 0 column actions")
        #expect(ConsoleApp.Mutation.deleteLineage(lineageID: "0193abcdef").summary() == "delete lineage 0193abcd")
    }

    /// One mode at a time: with the reject dialog open, `?` and `:` are text of its reason, not
    /// the help or the jump prompt; Esc closes the dialog and nothing else.
    @Test func aDialogTakesEveryKeyUntilItCloses() {
        let app = Self.onReview(status: .inReview)
        app.handle(.character("x"), pageSize: 20)
        for key in [Terminal.Key.character("?"), .character(":")] { app.handle(key, pageSize: 20) }
        #expect(app.state.withLock { $0.mode?.dialog?.text == "?:" })
        app.handle(.escape, pageSize: 20)
        #expect(app.state.withLock { $0.mode == nil && $0.route == .review("review-2", .device) })
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

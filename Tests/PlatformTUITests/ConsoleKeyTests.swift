import EdgeSyncModels
import Foundation
import Testing

@testable import PlatformTUI

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
        let app = Self.app(access: access)
        app.state.withLock { state in
            state.stack = [.review("review-2", .device)]
            state.review = ReviewDetailScreen(detail: Fixtures.reviewDetail)
            state.review?.detail.review.status = .queued
        }
        app.handle(.character("c"), pageSize: 20)
        let status = app.state.withLock { $0.frame.status }
        #expect(status?.text.hasPrefix("the token auditor lacks the operate scope") == true)
        #expect(app.state.withLock { $0.actions.isEmpty }, "nothing was sent")
    }
}

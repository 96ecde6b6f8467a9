import EdgeSyncModels
import Foundation

@testable import EdgeSyncConsole

/// The console's state and reducer without a terminal or a server: keys and the server's answers
/// go in, the state and the effects the runner would carry out come out.
struct ConsoleDriver {
    var state: ConsoleApp.State
    let reducer: ConsoleReducer

    init(on route: ConsoleApp.Route = .lineages, access: ConsoleAccess = .full) {
        let project = Project(id: "project", orgID: "org", name: "default", topicSlug: "dev", createdAt: Fixtures.now)
        state = ConsoleApp.State(project: project, serverLabel: "test", start: route)
        reducer = ConsoleReducer(access: access, refreshInterval: 5)
    }

    /// On the fixture review's detail, the review in `status`.
    static func onReview(status: ReviewStatus, access: ConsoleAccess = .full) -> ConsoleDriver {
        var driver = ConsoleDriver(on: .review("review-2", .device), access: access)
        driver.state.review = ReviewDetailScreen(detail: Fixtures.reviewDetail)
        driver.state.review?.detail.review.status = status
        return driver
    }

    /// On the column editor of the fixture review.
    static func onEditor() -> ConsoleDriver {
        var driver = ConsoleDriver(on: .review("review-2", .device))
        driver.state.stack.append(.editor("review-2", .device))
        driver.state.editor = ColumnEditorScreen(detail: Fixtures.reviewDetail)
        return driver
    }

    /// Presses `keys` in order; the effects of all of them.
    @discardableResult
    mutating func press(_ keys: Terminal.Key...) -> [ConsoleReducer.Effect] {
        keys.flatMap { reducer.reduce(&state, .key($0, pageSize: 20)) }
    }

    /// Types `text` one character at a time.
    @discardableResult
    mutating func type(_ text: String) -> [ConsoleReducer.Effect] {
        text.flatMap { reducer.reduce(&state, .key(.character($0), pageSize: 20)) }
    }

    @discardableResult
    mutating func send(_ input: ConsoleReducer.Input) -> [ConsoleReducer.Effect] {
        reducer.reduce(&state, input)
    }

    func render(width: Int = 80, height: Int = 24) -> CellGrid {
        state.render(width: width, height: height, access: reducer.access, now: Date())
    }

    static let counts = EdgeSummary(
        lineages: .init(active: 1, paused: 0),
        reviews: .init(queued: 1, inReview: 0, mine: 0),
        devices: .init(total: 1, connected: 1)
    )
}

extension ConsoleReducer.Effect {
    var isLoad: Bool {
        if case .load = self { return true }
        return false
    }

    /// The mutation a `perform` effect sends.
    var mutation: ConsoleApp.Mutation? {
        if case .perform(let mutation, _) = self { return mutation }
        return nil
    }
}

import EdgeSyncModels
import Foundation
import Synchronization

/// The interactive console loop: draws the current screen from the last loaded data, reads
/// keys, and refreshes in the background (never overlapping, backing off on errors, pausable)
/// without moving the selection, which is anchored to the lineage id.
final class ConsoleApp: Sendable {
    struct State: Sendable {
        var screen: LineagesScreen
        var frame: ScreenFrame
        var loadedAt: Date?
        var loading = false
        var refreshPaused = false
        var failures = 0
        var quit = false
    }

    let client: APIClient
    let projectID: String
    /// Default 5 s (tui.md).
    let refreshInterval: TimeInterval
    private let state: Mutex<State>

    init(client: APIClient, project: Project, serverLabel: String, refreshInterval: TimeInterval = 5) {
        self.client = client
        self.projectID = project.id
        self.refreshInterval = refreshInterval
        let empty = PageEnvelope<Lineage>(data: [], meta: PageMeta(page: 1, limit: 50, total: 0))
        state = Mutex(State(
            screen: LineagesScreen(page: empty, dataAge: 0, now: .now),
            frame: ScreenFrame(server: serverLabel, project: project.name, connected: true, activeLineages: 0, pausedLineages: 0, queuedReviews: 0,
                               breadcrumb: [], title: "", status: ("loading…", .muted), keys: [])))
    }

    /// Runs on the calling thread until `q` or Ctrl+C.
    func run(terminal: Terminal) {
        refresh()
        while !state.withLock({ $0.quit }) {
            let (width, height) = terminal.size
            terminal.draw(render(width: width, height: height))
            if let key = terminal.key(timeout: 200) { handle(key, pageSize: max(5, height - 9)) }
            let due = state.withLock { state in
                !state.loading && !state.refreshPaused
                    && Date().timeIntervalSince(state.loadedAt ?? .distantPast) >= refreshInterval * pow(2, Double(min(state.failures, 4)))
            }
            if due { refresh() }
        }
    }

    func render(width: Int, height: Int) -> CellGrid {
        var grid = CellGrid(width: width, height: height)
        let (screen, frame) = state.withLock { state -> (LineagesScreen, ScreenFrame) in
            var screen = state.screen
            screen.dataAge = state.loadedAt.map { Int(Date().timeIntervalSince($0)) } ?? 0
            screen.now = .now
            return (screen, state.frame)
        }
        screen.draw(into: &grid, frame: frame)
        return grid
    }

    func handle(_ key: Terminal.Key, pageSize: Int) {
        var reload = false
        state.withLock { state in
            let ids = state.screen.page.data.map(\.id)
            let index = ids.firstIndex { $0 == state.screen.selectedID } ?? 0
            switch key {
            case .character("q"), .character("\u{3}"): state.quit = true
            case .up, .character("k"): state.screen.selectedID = ids.isEmpty ? nil : ids[max(0, index - 1)]
            case .down, .character("j"): state.screen.selectedID = ids.isEmpty ? nil : ids[min(ids.count - 1, index + 1)]
            case .home: state.screen.selectedID = ids.first
            case .end: state.screen.selectedID = ids.last
            case .character("n"), .pageDown:
                if state.screen.page.meta.page < state.screen.page.meta.pageCount { state.screen.page.meta.page += 1; reload = true }
            case .character("p"), .pageUp:
                if state.screen.page.meta.page > 1 { state.screen.page.meta.page -= 1; reload = true }
            case .character("f"):
                state.screen.statusFilter = switch state.screen.statusFilter { case nil: .active; case .active?: .paused; case .paused?: nil }
                state.screen.page.meta.page = 1
                reload = true
            case .character("s"):
                let sorts = LineagesScreen.Sort.allCases
                state.screen.sort = sorts[(sorts.firstIndex(of: state.screen.sort)! + 1) % sorts.count]
                reload = true
            case .character("r"): reload = true
            case .character(" "):
                state.refreshPaused.toggle()
                state.frame.status = (state.refreshPaused ? "auto-refresh paused (Space resumes)" : "auto-refresh on", .muted)
            default: break
            }
            state.screen.page.meta.limit = pageSize
        }
        if reload { refresh() }
    }

    /// Loads the page and the header counts in the background; the screen keeps the last data
    /// (marked disconnected) when the server does not answer.
    func refresh() {
        let request = state.withLock { state -> (page: Int, limit: Int, status: LineageStatus?, sort: LineagesScreen.Sort)? in
            guard !state.loading else { return nil }
            state.loading = true
            return (state.screen.page.meta.page, state.screen.page.meta.limit, state.screen.statusFilter, state.screen.sort)
        }
        guard let request else { return }
        let base = "/projects/\(projectID)"
        Task { [client] in
            do {
                let status = request.status.map { "&status=\($0.rawValue)" } ?? ""
                let page = try await client.get("\(base)/edge/lineages?page=\(request.page)&limit=\(request.limit)&sort=\(request.sort.rawValue)\(status)",
                                                as: PageEnvelope<Lineage>.self)
                let active = try await client.get("\(base)/edge/lineages?status=active&limit=1", as: PageEnvelope<Lineage>.self).meta.total
                let paused = try await client.get("\(base)/edge/lineages?status=paused&limit=1", as: PageEnvelope<Lineage>.self).meta.total
                let queued = try await client.get("\(base)/edge/schema-reviews?status=queued&limit=1", as: PageEnvelope<SchemaReview>.self).meta.total
                state.withLock { state in
                    state.screen.page = page
                    if !page.data.contains(where: { $0.id == state.screen.selectedID }) { state.screen.selectedID = page.data.first?.id }
                    state.frame.connected = true
                    (state.frame.activeLineages, state.frame.pausedLineages, state.frame.queuedReviews) = (active, paused, queued)
                    if state.failures > 0 || state.frame.status?.text == "loading…" { state.frame.status = nil }
                    state.failures = 0
                    state.loadedAt = Date()
                    state.loading = false
                }
            } catch {
                state.withLock { state in
                    state.failures += 1
                    state.frame.connected = (error as? ClientError)?.code != "unreachable"
                    state.frame.status = ("\(error)", .error)
                    state.loadedAt = Date()
                    state.loading = false
                }
            }
        }
    }
}

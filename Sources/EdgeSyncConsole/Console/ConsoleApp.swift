import EdgeSyncModels
import Foundation
import Synchronization

/// The interactive console: a stack of screens drawn from the last loaded data, keys, and a
/// background refresh that never overlaps itself, backs off on errors, can be paused, and keeps
/// selections anchored to ids.
final class ConsoleApp: Sendable {
    enum Route: Sendable, Hashable {
        case lineages
        case lineage(String)
        case rows(lineageID: String, name: String, written: Bool)
        case reviews(ReviewSource)
        case review(String, ReviewSource)
        case editor(String, ReviewSource)
        case registry
        case actionLog
        case devices
        case policy
        case events
    }

    struct State: Sendable {
        var stack: [Route] = [.lineages]
        var lineages: LineagesScreen
        var lineage: LineageDetailScreen?
        var rows: RowsScreen?
        var reviews: ReviewsScreen
        var registryReviews: ReviewsScreen
        var registry: RegistryScreen
        var devices: DevicesScreen
        var review: ReviewDetailScreen?
        var editor: ColumnEditorScreen?
        var policy: PolicyScreen?
        /// The fleet whose policy the policy screen shows; nil for the project's.
        var policyFleet: Fleet?
        var events: EventsScreen?
        /// The SSE stream while the events screen is open.
        var eventStream: EventStream?
        var frame: ScreenFrame {
            didSet { if frame.statusSetAt != oldValue.statusSetAt { statusOwner = route } }
        }
        /// The screen that was on when the status line was set: the message shows there only.
        var statusOwner: Route?
        var loadedAt: Date?
        var loading = false
        var refreshPaused = false
        var failures = 0
        var quit = false
        /// A prompt, dialog, form or the help over the screen.
        var mode: Mode?
        var actions: [ActionLogScreen.Entry] = []
        var route: Route { stack.last ?? .lineages }

        /// Whether the status line still speaks to the screen on: set there, less than
        /// `statusLifetime` ago. Another screen's message, or an old one, is not shown.
        func statusIsCurrent(now: Date) -> Bool {
            guard let setAt = frame.statusSetAt else { return true }
            return statusOwner == route && now.timeIntervalSince(setAt) < ConsoleApp.statusLifetime
        }

        subscript(reviews source: ReviewSource) -> ReviewsScreen {
            get { source == .device ? reviews : registryReviews }
            set { if source == .device { reviews = newValue } else { registryReviews = newValue } }
        }
    }

    let client: APIClient
    let projectID: String
    /// What the token (and `--readonly`) allow; other mutating keys are off.
    let access: ConsoleAccess
    /// Default 5 s (docs/spec/tui.md).
    let refreshInterval: TimeInterval
    let state: Mutex<State>
    /// Seconds a status message stays on its screen.
    static let statusLifetime: TimeInterval = 10

    /// `start` is the first screen (the demo opens on the queued reviews).
    init(
        client: APIClient,
        project: Project,
        serverLabel: String,
        access: ConsoleAccess = .full,
        start: Route = .lineages,
        refreshInterval: TimeInterval = 5
    ) {
        self.client = client
        self.access = access
        self.projectID = project.id
        self.refreshInterval = refreshInterval
        state = Mutex(
            State(
                lineages: LineagesScreen(
                    page: PageEnvelope(data: [], meta: PageMeta(page: 1, limit: 50, total: 0)),
                    dataAge: 0,
                    now: .now
                ),
                reviews: ReviewsScreen(
                    page: PageEnvelope(data: [], meta: PageMeta(page: 1, limit: 50, total: 0)),
                    now: .now
                ),
                registryReviews: ReviewsScreen(
                    source: .registry,
                    page: PageEnvelope(data: [], meta: PageMeta(page: 1, limit: 50, total: 0)),
                    statusFilter: nil,
                    now: .now
                ),
                registry: RegistryScreen(
                    page: PageEnvelope(data: [], meta: PageMeta(page: 1, limit: 50, total: 0)),
                    now: .now
                ),
                devices: DevicesScreen(
                    page: PageEnvelope(data: [], meta: PageMeta(page: 1, limit: 50, total: 0)),
                    now: .now
                ),
                frame: ScreenFrame(
                    server: serverLabel,
                    project: project.name,
                    connected: true,
                    counts: EdgeSummary(
                        lineages: .init(active: 0, paused: 0),
                        reviews: .init(queued: 0, inReview: 0, mine: 0),
                        devices: .init(total: 0, connected: 0)
                    ),
                    breadcrumb: [],
                    title: "",
                    status: ("loading…", .muted),
                    keys: []
                )
            )
        )
        state.withLock { $0.stack = [start] }
    }

    /// Ends `run` at its next turn (SIGHUP or SIGTERM: the terminal closed or the process is told to stop).
    func quit() {
        state.withLock { $0.quit = true }
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
                    && Date().timeIntervalSince(state.loadedAt ?? .distantPast) >= refreshInterval
                        * pow(2, Double(min(state.failures, 4)))
            }
            if due { refresh() }
        }
    }

    func render(width: Int, height: Int) -> CellGrid {
        var grid = CellGrid(width: width, height: height)
        var snapshot = state.withLock { $0 }
        if !snapshot.statusIsCurrent(now: .now) { snapshot.frame.status = nil }
        switch snapshot.mode {
        case .prompt(let prompt):
            snapshot.frame.status = (":" + prompt + "▏  (\(Self.jumpTargets); Enter jumps, Esc closes)", .key)
        case .filter(let filter):
            snapshot.frame.status = (
                "/" + filter + "▏  (device or table, !text inverts; Enter applies, empty clears, Esc cancels)", .key
            )
        default: break
        }
        switch snapshot.route {
        case .lineages:
            snapshot.lineages.dataAge = snapshot.loadedAt.map { Int(Date().timeIntervalSince($0)) } ?? 0
            snapshot.lineages.now = .now
            snapshot.lineages.draw(into: &grid, frame: snapshot.frame)
        case .lineage:
            snapshot.lineage?.draw(into: &grid, frame: snapshot.frame)
        case .rows:
            snapshot.rows?.draw(into: &grid, frame: snapshot.frame)
        case .reviews(let source):
            snapshot[reviews: source].now = .now
            snapshot[reviews: source].draw(into: &grid, frame: snapshot.frame)
        case .registry:
            snapshot.registry.now = .now
            snapshot.registry.draw(into: &grid, frame: snapshot.frame)
        case .review:
            snapshot.review?.draw(into: &grid, frame: snapshot.frame)
        case .editor:
            snapshot.editor?.draw(into: &grid, frame: snapshot.frame)
        case .actionLog:
            ActionLogScreen(entries: snapshot.actions).draw(into: &grid, frame: snapshot.frame)
        case .devices:
            snapshot.devices.now = .now
            snapshot.devices.draw(into: &grid, frame: snapshot.frame)
        case .policy:
            snapshot.policy?.draw(into: &grid, frame: snapshot.frame)
        case .events:
            snapshot.events?.now = .now
            snapshot.events?.draw(into: &grid, frame: snapshot.frame)
        }
        let loading =
            switch snapshot.route {
            case .lineage: snapshot.lineage == nil
            case .review: snapshot.review == nil
            case .editor: snapshot.editor == nil
            default: false
            }
        if loading { grid.put(" loading…", x: 0, y: 4, style: .muted) }
        switch snapshot.mode {
        case .dialog(let dialog, _): dialog.draw(into: &grid)
        case .writeBack(let form, _, _): form.draw(into: &grid)
        case .help:
            let (title, keys) = Self.keys(of: snapshot)
            access.help(title: title, keys: keys, adminScreen: snapshot.route == .devices || snapshot.route == .policy)
                .draw(into: &grid)
        case .prompt, .filter, nil: break
        }
        return grid
    }

    static let jumpTargets = "lineages, reviews, registry, devices, policy, events, log"

    /// Moves an id-anchored selection by `step` within `ids`.
    static func move(_ selected: String?, in ids: [String], by step: Int) -> String? {
        guard !ids.isEmpty else { return nil }
        let index = ids.firstIndex { $0 == selected } ?? 0
        return ids[min(ids.count - 1, max(0, index + step))]
    }

    func handle(_ key: Terminal.Key, pageSize: Int) {
        var reload = false
        var mutation: Mutation?
        state.withLock { state in
            if let mode = state.mode {
                (reload, mutation) = handle(key, in: mode, &state)
                return
            }
            if state.route == .events, state.events?.isModal == true {
                state.events?.handleModal(key)
                return
            }
            if case .editor = state.route, state.editor != nil {
                (reload, mutation) = handleEditorKey(key, &state)
                return
            }
            if case .policy = state.route, state.policy?.editing != nil {
                switch key {
                case .escape: state.policy?.editing = nil
                case .backspace: _ = state.policy?.editing?.popLast()
                case .enter: state.policy?.commitEdit()
                case .character(let character) where character.isNumber: state.policy?.editing?.append(character)
                case .character(let character):
                    state.frame.status = ("\(character) is not a digit: this field takes a whole number", .warning)
                default: break
                }
                return
            }
            switch key {
            case .character("q"), .character("\u{3}"):
                state.quit = true
                return
            case .escape, .left:
                // ← scrolls sideways in the data view; Esc always goes back.
                guard key == .escape || !isRows(state.route) else { break }
                if case .review = state.route, state.review?.confirmingApproval == true {
                    state.review?.confirmingApproval = false
                } else if case .rows = state.route, state.rows?.showingJSON == true {
                    state.rows?.showingJSON = false
                } else if state.stack.count > 1 {
                    state.stack.removeLast()
                    reload = true
                }
                return
            case .character(":"):
                state.mode = .prompt("")
                return
            case .character("?"):
                state.mode = .help
                return
            case .character("/") where state.route == .lineages:
                state.mode = .filter(state.lineages.query ?? "")
                return
            case .character("L"):
                state.stack.append(.actionLog)
                return
            case .character("r"):
                reload = true
                return
            // The policy screen's Space changes the field (its footer says so).
            case .character(" ") where state.route != .policy:
                state.refreshPaused.toggle()
                state.frame.refreshPaused = state.refreshPaused
                state.frame.status = (
                    state.refreshPaused ? "auto-refresh paused (Space resumes)" : "auto-refresh on", .muted
                )
                return
            default: break
            }
            (reload, mutation) = handleScreenKey(key, pageSize: pageSize, &state)
            let blocked =
                switch (mutation, state.mode) {
                case (let mutation?, _): !access.allows(mutation)
                case (nil, .dialog(_, let asked)?): !access.allows(asked)
                case (nil, .writeBack?): !access.canOperate
                default: false
                }
            if blocked {
                state.mode = nil
                mutation = nil
                state.frame.status = (
                    "\(access.reason ?? "not allowed"): that key changes the server (? lists what is off)", .warning
                )
            }
        }
        let leftEvents = state.withLock { state -> EventStream? in
            guard state.route != .events || state.quit, let stream = state.eventStream else { return nil }
            state.eventStream = nil
            return stream
        }
        leftEvents?.stop()
        if let mutation { perform(mutation) } else if reload { refresh() }
        requestPreview()
    }

    /// The title and keys of the screen on top, for the help overlay.
    static func keys(of state: State) -> (String, [(key: String, action: String)]) {
        switch state.route {
        case .lineages: ("Lineages", LineagesScreen.keys)
        case .lineage: ("Lineage detail", state.lineage?.keys ?? [])
        case .rows: ("Rows", RowsScreen.keys)
        case .reviews(let source): (source.title, ReviewsScreen.keys)
        case .registry: ("Schema registry", RegistryScreen.keys)
        case .review: ("Review detail", state.review?.keys ?? [])
        case .editor: ("Column-action editor", state.editor?.keys ?? [])
        case .actionLog: ("Action log", ActionLogScreen.keys)
        case .devices: ("Devices", DevicesScreen.keys)
        case .policy: ("Policy", state.policy?.keys ?? [])
        case .events: ("Events", state.events?.keys ?? [])
        }
    }

    private func isRows(_ route: Route) -> Bool {
        if case .rows = route { return true }
        return false
    }
}

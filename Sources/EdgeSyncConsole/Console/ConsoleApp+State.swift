import EdgeSyncModels
import Foundation

extension ConsoleApp {
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

    /// Everything the console shows: the stack of routes, each screen's last data, what is open over
    /// the screen, and the refresh's bookkeeping. Only the reducer changes it.
    struct State: Sendable {
        var stack: [Route]
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
        /// Whether the runner has the events screen's live stream open.
        var streaming = false
        var frame: ScreenFrame {
            didSet { if frame.statusSetAt != oldValue.statusSetAt { statusOwner = route } }
        }
        /// The screen that was on when the status line was set: the message shows there only.
        var statusOwner: Route?
        var loadedAt: Date?
        var loading = false
        /// Kept by the frame, whose header shows the badge.
        var refreshPaused: Bool {
            get { frame.refreshPaused }
            set { frame.refreshPaused = newValue }
        }
        var failures = 0
        var quit = false
        /// A prompt, dialog, form or the help over the screen.
        var mode: Mode?
        var actions: [ActionLogScreen.Entry] = []
        var route: Route { stack.last ?? .lineages }

        init(project: Project, serverLabel: String, start: Route = .lineages) {
            let empty = PageMeta(page: 1, limit: 50, total: 0)
            stack = [start]
            lineages = LineagesScreen(page: PageEnvelope(data: [], meta: empty), dataAge: 0, now: .now)
            reviews = ReviewsScreen(page: PageEnvelope(data: [], meta: empty), now: .now)
            registryReviews = ReviewsScreen(
                source: .registry,
                page: PageEnvelope(data: [], meta: empty),
                statusFilter: nil,
                now: .now
            )
            registry = RegistryScreen(page: PageEnvelope(data: [], meta: empty), now: .now)
            devices = DevicesScreen(page: PageEnvelope(data: [], meta: empty), now: .now)
            frame = ScreenFrame(
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
        }

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

        /// The screen on top; nil while its first data loads. The one place a route meets its screen.
        var top: (any ConsoleScreen)? {
            get {
                switch route {
                case .lineages: lineages
                case .lineage: lineage
                case .rows: rows
                case .reviews(let source): self[reviews: source]
                case .registry: registry
                case .review: review
                case .editor: editor
                case .actionLog: ActionLogScreen(entries: actions)
                case .devices: devices
                case .policy: policy
                case .events: events
                }
            }
            set {
                switch (route, newValue) {
                case (.lineages, let screen as LineagesScreen): lineages = screen
                case (.lineage, let screen as LineageDetailScreen): lineage = screen
                case (.rows, let screen as RowsScreen): rows = screen
                case (.reviews(let source), let screen as ReviewsScreen): self[reviews: source] = screen
                case (.registry, let screen as RegistryScreen): registry = screen
                case (.review, let screen as ReviewDetailScreen): review = screen
                case (.editor, let screen as ColumnEditorScreen): editor = screen
                case (.devices, let screen as DevicesScreen): devices = screen
                case (.policy, let screen as PolicyScreen): policy = screen
                case (.events, let screen as EventsScreen): events = screen
                default: break
                }
            }
        }

        /// How a route comes on screen.
        enum Placement {
            case push
            case replaceTop
            /// Alone on the stack (`:` jumps).
            case root
        }

        /// Puts `route` on screen. A detail screen opens empty and loads; a list keeps its page,
        /// filter and selection.
        mutating func show(_ route: Route, _ placement: Placement = .push) {
            switch route {
            case .lineage: lineage = nil
            case .rows: rows = nil
            case .review: review = nil
            case .editor: editor = nil
            case .policy: policy = nil
            case .events: events = nil
            case .lineages, .reviews, .registry, .actionLog, .devices: break
            }
            switch placement {
            case .push: stack.append(route)
            case .replaceTop: stack[stack.count - 1] = route
            case .root: stack = [route]
            }
        }
    }
}

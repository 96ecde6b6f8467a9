import EdgeSyncModels

/// One route of the console: it draws itself from its loaded data, names its keys (footer and
/// help), and answers a key with what it asks of the console. The reducer calls it; it never talks
/// to the server itself.
protocol ConsoleScreen: Sendable {
    /// The help overlay's title.
    var helpTitle: String { get }
    var keys: [(key: String, action: String)] { get }
    func draw(into grid: inout CellGrid, frame: ScreenFrame)
    /// What `key` asks of the console, or nil when the key is not this screen's (the console's own
    /// keys then apply). A screen that has text or a list open answers every key.
    mutating func handle(_ key: Terminal.Key, _ context: ScreenContext) -> [ScreenCommand]?
}

/// What a screen knows of where it is when it answers a key.
struct ScreenContext: Sendable {
    var route: ConsoleApp.Route
    /// Rows a page holds at the terminal's height.
    var pageSize: Int
}

/// A screen's request to the console, carried out by the reducer.
enum ScreenCommand: Sendable {
    /// Another screen on top of this one (opened empty and loaded).
    case open(ConsoleApp.Route)
    /// This screen swapped for another (opened empty and loaded).
    case replace(ConsoleApp.Route)
    /// Alone on the stack (`:` jumps), opened empty and loaded.
    case root(ConsoleApp.Route)
    /// Back to the screen below, reloaded.
    case back
    case reload
    case perform(ConsoleApp.Mutation)
    case mode(ConsoleApp.Mode)
    case status(String, CellStyle)
    /// Drops an error the key before answered (`fix first: …`).
    case clearError
    /// The policy screen shows the project's policy (nil) or a fleet's.
    case policyScope(Fleet?)
}

extension ConsoleScreen {
    /// ↑↓ (j k), Home and End on an id-anchored list: nil when the key is none of them.
    static func select(_ key: Terminal.Key, _ selected: inout String?, in ids: [String]) -> [ScreenCommand]? {
        switch key {
        case .up, .character("k"): selected = Self.move(selected, in: ids, by: -1)
        case .down, .character("j"): selected = Self.move(selected, in: ids, by: 1)
        case .home: selected = ids.first
        case .end: selected = ids.last
        default: return nil
        }
        return []
    }

    /// Moves an id-anchored selection by `step` within `ids`.
    static func move(_ selected: String?, in ids: [String], by step: Int) -> String? {
        guard !ids.isEmpty else { return nil }
        let index = ids.firstIndex { $0 == selected } ?? 0
        return ids[min(ids.count - 1, max(0, index + step))]
    }

    /// Enter on an id-anchored list: the selected row's screen, or the first row's.
    static func openSelected(
        _ selected: String?,
        in ids: [String],
        _ route: (String) -> ConsoleApp.Route
    ) -> [ScreenCommand] {
        guard let id = selected ?? ids.first else { return [] }
        return [.open(route(id))]
    }

    /// `n`/`p` (and PgDn/PgUp) on a paged list: nil when the key is not a paging key; a reload
    /// when the page changed.
    static func turnPage(_ key: Terminal.Key, _ meta: inout PageMeta) -> [ScreenCommand]? {
        switch key {
        case .character("n"), .pageDown:
            guard meta.page < meta.pageCount else { return [] }
            meta.page += 1
        case .character("p"), .pageUp:
            guard meta.page > 1 else { return [] }
            meta.page -= 1
        default:
            return nil
        }
        return [.reload]
    }
}

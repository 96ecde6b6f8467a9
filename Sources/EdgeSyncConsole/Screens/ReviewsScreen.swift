import EdgeSyncModels

/// Screen 4 (docs/spec/tui.md): schema reviews with a status filter; the same screen lists registry
/// reviews (their scope in the device column).
struct ReviewsScreen: Sendable {
    var source: ReviewSource = .device
    var page: PageEnvelope<SchemaReview>
    /// Open reviews by default: after a restart the ones an operator claimed are still in view.
    var statusFilter: ReviewStatusFilter? = .open
    /// `/`: a substring of the device's name or the table, applied by the API.
    var query: String?
    var selectedID: String?
    var now: Timestamp

    static let filters: [ReviewStatusFilter?] = ReviewStatusFilter.allCases + [nil]

    static let keys: [(key: String, action: String)] = [
        ("↑↓", "move"), ("Enter", "open"), ("/", "filter"), ("f", "status"), ("n/p", "page"), ("Esc", "back"),
        ("r", "refresh"), ("q", "quit"),
    ]

    static let columns = [
        TableView.Column("DEVICE", min: 8, max: 28), TableView.Column("TABLE", min: 10, max: 32),
        TableView.Column("CLASSIFICATION", min: 9, max: 19),
        TableView.Column("STATUS", min: 9, max: 9), TableView.Column("STAGED", min: 6, max: 11, alignRight: true),
        TableView.Column("AGE", min: 4, max: 5, alignRight: true), TableView.Column("CLAIMED BY", min: 8, max: 20),
    ]

    var table: TableView {
        var columns = Self.columns
        if source == .registry { columns[0].title = "SCOPE" }
        var table = TableView(
            columns: columns,
            rows: page.data.map { review in
                [
                    review.deviceName ?? review.fleetID.map { "(fleet \($0.prefix(8)))" }
                        ?? "(\(review.scope.rawValue))", review.sourceTable, review.classification.rawValue,
                    review.status.rawValue,
                    LineagesScreen.count(review.stagedRowCount),
                    LineagesScreen.age(seconds: Int(now.seconds - review.createdAt.seconds)), review.claimedBy ?? "-",
                ]
            }
        )
        table.styles = page.data.map { review in
            let status: CellStyle =
                switch review.status {
                case .queued: .warning
                case .inReview: .key
                case .approved: .ok
                case .rejected: .error
                case .abandoned: .muted
                }
            return [
                .plain, .plain, review.classification == .breaking ? .error : .plain, status, .plain, .muted, .muted,
            ]
        }
        table.selected = page.data.firstIndex { $0.id == selectedID } ?? (page.data.isEmpty ? nil : 0)
        return table
    }

    func draw(into grid: inout CellGrid, frame: ScreenFrame) {
        frame.drawList(
            into: &grid,
            breadcrumb: source.breadcrumb,
            title: "\(source.title) [\(page.meta.total)] · " + ScreenFrame.filter("status", statusFilter?.rawValue)
                + matching,
            keys: Self.keys,
            table: table,
            empty: emptyText("No reviews here (f changes the filter).", noun: "review")
        )
    }
}

extension ReviewsScreen: TextFilteredList {
    var helpTitle: String { source.title }
    var filterHint: String { source == .registry ? "table" : "device or table" }
    var keys: [(key: String, action: String)] { Self.keys }

    mutating func handle(_ key: Terminal.Key, _ context: ScreenContext) -> [ScreenCommand]? {
        page.meta.limit = context.pageSize
        let ids = page.data.map(\.id)
        switch key {
        case .enter, .right:
            return Self.openSelected(selectedID, in: ids) { [source] in .review($0, source) }
        case .character("/"):
            return filterPrompt
        case .character("f"):
            let index = Self.filters.firstIndex { $0 == statusFilter } ?? 0
            statusFilter = Self.filters[(index + 1) % Self.filters.count]
            page.meta.page = 1
            return [.reload]
        default:
            return Self.turnPage(key, &page.meta) ?? Self.select(key, &selectedID, in: ids)
        }
    }
}

import EdgeSyncModels

/// Screen 7, registry (docs/spec/tui.md): the schema hashes the coalescing registry knows per scope and
/// table, with their decision; Enter opens an entry's registry review.
struct RegistryScreen: Sendable {
    var page: PageEnvelope<RegistryEntry>
    var selectedID: String?
    /// `/`: a substring of the table, applied by the API.
    var query: String?
    var now: Timestamp

    static let keys: [(key: String, action: String)] = [
        ("↑↓", "move"), ("Enter", "open its review"), ("v", "registry reviews"), ("/", "filter"), ("n/p", "page"),
        ("r", "refresh"), (":", "jump"), ("q", "quit"),
    ]

    static let columns = [
        TableView.Column("SCOPE", min: 7, max: 16), TableView.Column("TABLE", min: 10, max: 32),
        TableView.Column("SCHEMA", min: 12, max: 12),
        TableView.Column("DECISION", min: 8, max: 10), TableView.Column("COLUMNS", min: 7, max: 7, alignRight: true),
        TableView.Column("REVIEW", min: 8, max: 8), TableView.Column("UPDATED", min: 7, max: 7, alignRight: true),
    ]

    var table: TableView {
        var table = TableView(
            columns: Self.columns,
            rows: page.data.map { entry in
                [
                    entry.fleetID.map { "fleet \($0.prefix(8))" } ?? entry.scope.rawValue, entry.sourceTable,
                    String(entry.schemaHash.prefix(12)),
                    entry.decision.rawValue, entry.columns.map { String($0.count) } ?? "?",
                    entry.reviewID.map { String($0.prefix(8)) } ?? "-",
                    LineagesScreen.age(seconds: Int(now.seconds - entry.updatedAt.seconds)),
                ]
            }
        )
        table.styles = page.data.map { entry in
            let decision: CellStyle =
                switch entry.decision {
                case .approved: .ok
                case .pending: .warning
                case .rejected: .error
                }
            return [.plain, .plain, .muted, decision, .plain, .muted, .muted]
        }
        table.selected = page.data.firstIndex { $0.id == selectedID } ?? (page.data.isEmpty ? nil : 0)
        return table
    }

    func draw(into grid: inout CellGrid, frame: ScreenFrame) {
        frame.drawList(
            into: &grid,
            breadcrumb: ["Registry"],
            title: "Schema registry [\(page.meta.total)]" + matching,
            keys: Self.keys,
            table: table,
            empty: emptyText(
                "The registry is empty: it fills when the policy's schema_coalescing_mode is project or fleet (:policy).",
                noun: "registry entry"
            )
        )
    }
}

extension RegistryScreen: TextFilteredList {
    var helpTitle: String { "Schema registry" }
    var filterHint: String { "table" }
    var keys: [(key: String, action: String)] { Self.keys }

    mutating func handle(_ key: Terminal.Key, _ context: ScreenContext) -> [ScreenCommand]? {
        page.meta.limit = context.pageSize
        switch key {
        case .enter, .right:
            guard let entry = page.data.first(where: { $0.id == selectedID }) ?? page.data.first else { return [] }
            guard let review = entry.reviewID else { return [.status("no registry review for this entry", .muted)] }
            return [.open(.review(review, .registry))]
        case .character("v"):
            return [.open(.reviews(.registry))]
        case .character("/"):
            return filterPrompt
        default:
            return Self.turnPage(key, &page.meta) ?? Self.select(key, &selectedID, in: page.data.map(\.id))
        }
    }
}

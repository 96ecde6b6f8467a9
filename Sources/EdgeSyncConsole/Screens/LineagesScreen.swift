import EdgeSyncModels
import Server

/// Screen 1 (docs/spec/tui.md): every lineage of the project, a page at a time, with status colours, the
/// status filter, the sort and a selection anchored to the lineage id.
struct LineagesScreen: Sendable {
    /// The API's orders, in the order `s` cycles them. The first is the default: a list that keeps
    /// its order on every refresh, so a selection made by position stays where the operator put it.
    static let sorts: [LineageFilter.Sort] = [.device, .updatedAt, .staged]

    var page: PageEnvelope<Lineage>
    var statusFilter: LineageStatus?
    /// `/`: a substring of the device or table name, applied by the API.
    var query: String?
    var sort = sorts[0]
    var selectedID: String?
    /// Seconds since the data was loaded, and the clock for ages.
    var dataAge: Int
    var now: Timestamp

    static let columns = [
        TableView.Column("DEVICE", min: 8, max: 28), TableView.Column("TABLE", min: 10, max: 32),
        TableView.Column("STRATEGY", min: 9, max: 9),
        TableView.Column("STATUS", min: 6, max: 6), TableView.Column("PAUSE REASON", min: 10, max: 23),
        TableView.Column("STAGED", min: 6, max: 11, alignRight: true),
        TableView.Column("MIRRORED", min: 8, max: 13, alignRight: true),
        TableView.Column("LAST", min: 5, max: 6, alignRight: true),
        TableView.Column("ERR", min: 3, max: 5, alignRight: true),
    ]

    var title: String {
        let filter = ScreenFrame.filter("status", statusFilter?.rawValue)
        return "Lineages [\(page.meta.total)] · \(filter)\(matching) · sort: \(sort.rawValue) · updated "
            + "\(Self.age(seconds: dataAge)) ago"
    }

    static let keys: [(key: String, action: String)] = [
        ("↑↓", "move"), ("Enter", "open"), ("/", "filter"), ("f", "status"), ("s", "sort"), ("n/p", "page"),
        ("r", "refresh"), ("Space", "pause refresh"),
        (":", "jump"), ("q", "quit"),
    ]

    var table: TableView {
        var table = TableView(columns: Self.columns, rows: [])
        for lineage in page.data {
            let errors = lineage.materializationFailureCount
            table.rows.append([
                lineage.deviceName, lineage.sourceTable, lineage.strategy.rawValue, lineage.status.rawValue,
                lineage.pauseReason?.rawValue ?? "-", Self.count(lineage.stagedRowCount),
                Self.count(lineage.mirroredRowCount),
                lineage.lastBatchAt.map { Self.age(seconds: Int(now.seconds - $0.seconds)) } ?? "never",
                errors == 0 ? "-" : String(errors),
            ])
            let status: CellStyle =
                lineage.status == .active ? .ok : (lineage.pauseReason == .schemaReview ? .warning : .error)
            table.styles.append([
                .plain, .plain, .muted, status, status, .plain, .plain, .muted, errors > 0 ? .error : .muted,
            ])
        }
        table.selected = page.data.firstIndex { $0.id == selectedID } ?? (page.data.isEmpty ? nil : 0)
        return table
    }

    func draw(into grid: inout CellGrid, frame: ScreenFrame) {
        var frame = frame
        frame.breadcrumb = ["Lineages"]
        frame.title = title
        frame.keys = Self.keys
        let body = frame.draw(into: &grid)
        guard !page.data.isEmpty else {
            let message = emptyText(
                statusFilter.map { "No \($0.rawValue) lineages (f changes the filter)." }
                    ?? "No lineages yet: they appear with a device's first batch.",
                noun: "lineage"
            )
            grid.put(message, x: body.x, y: body.y + 1, style: .muted)
            return
        }
        table.draw(into: &grid, x: body.x, y: body.y, width: body.width, height: body.height - 1)
        let pages = page.meta.pageCount
        grid.put(
            "page \(page.meta.page)/\(pages) · \(page.meta.limit) per page",
            x: body.x,
            y: body.y + body.height - 1,
            style: .muted
        )
    }

    /// `3s`, `2m`, `1h`, `4d`.
    static func age(seconds: Int) -> String {
        switch max(0, seconds) {
        case ..<60: "\(max(0, seconds))s"
        case ..<3600: "\(seconds / 60)m"
        case ..<86_400: "\(seconds / 3600)h"
        default: "\(seconds / 86_400)d"
        }
    }

    /// Thousands separated by a thin space-free comma: `12,345`.
    static func count(_ value: Int64) -> String {
        let digits = String(value)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return out
    }
}

extension LineagesScreen: TextFilteredList {
    var helpTitle: String { "Lineages" }
    var filterHint: String { "device or table" }
    var keys: [(key: String, action: String)] { Self.keys }

    mutating func handle(_ key: Terminal.Key, _ context: ScreenContext) -> [ScreenCommand]? {
        page.meta.limit = context.pageSize
        let ids = page.data.map(\.id)
        switch key {
        case .enter, .right:
            return Self.openSelected(selectedID, in: ids) { .lineage($0) }
        case .character("/"):
            return filterPrompt
        case .character("f"):
            statusFilter =
                switch statusFilter {
                case nil: .active
                case .active?: .paused
                case .paused?: nil
                }
            page.meta.page = 1
            return [.reload]
        case .character("s"):
            sort = Self.sorts[((Self.sorts.firstIndex(of: sort) ?? 0) + 1) % Self.sorts.count]
            return [.reload]
        default:
            return Self.turnPage(key, &page.meta) ?? Self.select(key, &selectedID, in: ids)
        }
    }
}

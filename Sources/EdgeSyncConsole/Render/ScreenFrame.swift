import EdgeSyncModels
import Foundation

/// What every screen shows around its body (docs/spec/tui.md, "Layout"): the header with the server,
/// project, connection state and counts; the breadcrumb and title; a status line for
/// transient messages; and the footer with the keys that work here.
struct ScreenFrame: Sendable {
    var server: String
    var project: String
    var connected: Bool
    /// The header's counts, from the server's summary route.
    var counts: EdgeSummary
    var breadcrumb: [String]
    var title: String
    var status: (text: String, style: CellStyle)? {
        didSet { statusSetAt = status == nil ? nil : Date() }
    }
    var keys: [(key: String, action: String)]
    /// When `status` was last set; nil for one given at creation, which never expires.
    var statusSetAt: Date?
    /// Auto-refresh is paused: the header says so for as long as it lasts.
    var refreshPaused = false

    /// The header parts that fit, most important kept: the state and the counts outrank the
    /// server address on a narrow terminal.
    static func header(parts: [String], width: Int) -> String {
        let order = [0, 3, 5, 4, 2, 1]
        var kept = Set(order)
        func text() -> String {
            " " + parts.indices.filter { kept.contains($0) }.map { parts[$0] }.joined(separator: " │ ")
        }
        for index in order.reversed() where TextWidth.of(text()) > width && kept.count > 1 {
            kept.remove(index)
        }
        return text()
    }

    /// The footer's keys that fit; when some do not, `? more` points to the help and the last
    /// key (quit) always stays.
    static func footer(_ keys: [(key: String, action: String)], width: Int) -> [(key: String, action: String)] {
        func length(_ keys: [(key: String, action: String)]) -> Int {
            keys.reduce(0) { $0 + TextWidth.of($1.key) + TextWidth.of($1.action) + 3 }
        }
        guard length(keys) > width, let last = keys.last else { return keys }
        var kept = Array(keys.dropLast())
        let tail: [(key: String, action: String)] = [("?", "more"), last]
        while !kept.isEmpty, length(kept + tail) > width { kept.removeLast() }
        return kept + tail
    }

    /// A list's filter as every title writes it: `status: open`, `kind: all`.
    static func filter(_ name: String, _ value: String?) -> String {
        "\(name): \(value ?? "all")"
    }

    /// Queued reviews, then those in review and how many of them are the operator's own.
    var reviewCounts: String {
        let reviews = counts.reviews
        return "\(reviews.queued) reviews queued"
            + (reviews.inReview > 0 ? " · \(reviews.inReview) in review (\(reviews.mine) yours)" : "")
    }

    /// Draws the frame; returns the body rectangle (x, y, width, height).
    func draw(into grid: inout CellGrid) -> (x: Int, y: Int, width: Int, height: Int) {
        let style = connected ? CellStyle.header : CellStyle(foreground: .white, background: .red, bold: true)
        grid.fill(x: 0, y: 0, width: grid.width, height: 1, style: style)
        grid.put(
            Self.header(
                parts: [
                    "Edge Sync", server, "project \(project)",
                    (connected ? "connected" : "DISCONNECTED") + (refreshPaused ? " · ⏸ paused" : ""),
                    "\(counts.lineages.active) active · \(counts.lineages.paused) paused", reviewCounts,
                ],
                width: grid.width
            ),
            x: 0,
            y: 0,
            style: style
        )
        grid.put(" " + breadcrumb.joined(separator: " › "), x: 0, y: 1, style: .muted)
        let written = grid.put(" " + title, x: 0, y: 2, style: .title)
        // The last data stays on screen; the badge says it is stale.
        if !connected {
            grid.put(
                " disconnected ",
                x: written + 1,
                y: 2,
                style: CellStyle(foreground: .white, background: .red, bold: true)
            )
        }
        if let status {
            grid.put(" " + status.text, x: 0, y: grid.height - 2, style: status.style)
        }
        var column = 1
        for (key, action) in Self.footer(keys, width: grid.width - 1) {
            let written = grid.put(key, x: column, y: grid.height - 1, style: .key)
            column += written
            column += grid.put(" " + action + "  ", x: column, y: grid.height - 1, style: .muted)
            if column >= grid.width { break }
        }
        return (1, 4, grid.width - 2, max(0, grid.height - 7))
    }

    /// A list screen: this frame with its breadcrumb, title and keys, then the table, or a
    /// line saying why there is nothing to show.
    func drawList(
        into grid: inout CellGrid,
        breadcrumb: [String],
        title: String,
        keys: [(key: String, action: String)],
        table: TableView,
        empty: String
    ) {
        var frame = self
        frame.breadcrumb = breadcrumb
        frame.title = title
        frame.keys = keys
        let body = frame.draw(into: &grid)
        guard !table.rows.isEmpty else {
            grid.put(empty, x: body.x, y: body.y + 1, style: .muted)
            return
        }
        table.draw(into: &grid, x: body.x, y: body.y, width: body.width, height: body.height)
    }
}

import Foundation

extension ConsoleApp.State {
    /// The screen on top, the prompt or filter on the status line, and a dialog, form or the help
    /// over it, as cells.
    func render(width: Int, height: Int, access: ConsoleAccess, now: Date) -> CellGrid {
        var grid = CellGrid(width: width, height: height)
        var shown = self
        if !statusIsCurrent(now: now) { shown.frame.status = nil }
        switch mode {
        case .prompt(let prompt):
            shown.frame.status = (
                ":" + prompt + "▏  (\(ConsoleReducer.jumpTargets); Enter jumps, Esc closes)", .key
            )
        case .filter(let filter):
            let hint = (top as? any TextFilteredList)?.filterHint ?? "text"
            shown.frame.status = (
                "/" + filter + "▏  (\(hint), !text inverts; Enter applies, empty clears, Esc cancels)", .key
            )
        default: break
        }
        // Ages are counted from now, not from when the data came.
        shown.lineages.dataAge = loadedAt.map { Int(now.timeIntervalSince($0)) } ?? 0
        shown.lineages.now = .now
        shown.reviews.now = .now
        shown.registryReviews.now = .now
        shown.registry.now = .now
        shown.devices.now = .now
        shown.events?.now = .now
        if let screen = shown.top {
            screen.draw(into: &grid, frame: shown.frame)
        } else {
            grid.put(" loading…", x: 0, y: 4, style: .muted)
        }
        switch mode {
        case .dialog(let dialog, _): dialog.draw(into: &grid)
        case .writeBack(let form, _, _): form.draw(into: &grid)
        case .help:
            let screen = shown.top
            access.help(
                title: screen?.helpTitle ?? "",
                keys: screen?.keys ?? [],
                adminScreen: route == .devices || route == .policy
            ).draw(into: &grid)
        case .prompt, .filter, nil: break
        }
        return grid
    }
}

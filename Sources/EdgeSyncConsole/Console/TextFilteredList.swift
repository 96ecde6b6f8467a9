import EdgeSyncModels
import Foundation

/// A list whose `/` filter is a text the API matches (docs/spec/tui.md: it hides rows, `!text`
/// inverts, and it is sent to the API rather than applied to one page).
protocol TextFilteredList: ConsoleScreen {
    associatedtype Item: Codable & Sendable
    var page: PageEnvelope<Item> { get set }
    /// The text, or nil for every row.
    var query: String? { get set }
    /// What the text is matched against, for the filter prompt ("device or table").
    var filterHint: String { get }
}

extension TextFilteredList {
    /// `/`: the prompt, holding the current text.
    var filterPrompt: [ScreenCommand] { [.mode(.filter(query ?? ""))] }

    /// Applies the prompt's text (empty clears it) from the first page.
    mutating func filter(by text: String) {
        query = text.isEmpty ? nil : text
        pageMeta.page = 1
    }

    /// The page's position, whatever the list's items.
    var pageMeta: PageMeta {
        get { page.meta }
        set { page.meta = newValue }
    }

    /// For a list's title: ` · matching "text"`, or nothing.
    var matching: String { query.map { " · matching \"\($0)\"" } ?? "" }

    /// A list the filter emptied says so, instead of its usual empty text.
    func emptyText(_ nothing: String, noun: String) -> String {
        query.map { "No \(noun) matches \"\($0)\" (/ changes the filter)." } ?? nothing
    }

    /// The query parameter the list's request carries: `&q=…`, or nothing.
    var queryParameter: String {
        query.flatMap { $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) }.map { "&q=\($0)" } ?? ""
    }
}

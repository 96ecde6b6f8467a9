import EdgeSyncModels

/// Device reviews or registry reviews (docs/spec/tui.md screen 7): the same screens and request bodies,
/// under other paths.
enum ReviewSource: String, Sendable, Hashable, CaseIterable {
    case device
    case registry

    init(_ scope: ReviewScope) {
        self = scope == .device ? .device : .registry
    }

    /// Relative to the project.
    var path: String { self == .device ? "edge/schema-reviews" : "edge/registry-reviews" }
    var title: String { self == .device ? "Schema reviews" : "Registry reviews" }
    /// The breadcrumb down to a review list.
    var breadcrumb: [String] { self == .device ? [title] : ["Registry", title] }
}

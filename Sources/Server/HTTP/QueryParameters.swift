import EdgeSyncModels
import Hummingbird

/// Typed query parameters: a bad value is a 400 naming the parameter, never ignored.
extension Request {
    func page() throws -> PageRequest {
        try PageRequest(page: query("page"), limit: query("limit"))
    }

    func query(_ name: String) -> String? {
        uri.queryParameters.get(name)
    }

    /// A list's text filter, `q`. A NUL character is refused: no text the store keeps can hold
    /// one (PostgreSQL's `text` cannot), so the filter could only fail or match nothing.
    func textFilter() throws -> String? {
        guard let text = query("q") else { return nil }
        guard !text.unicodeScalars.contains("\0") else {
            throw APIError(
                .badRequest,
                "q must not contain a NUL character",
                details: ["parameter": .string("q")]
            )
        }
        return text
    }

    func query<T: RawRepresentable>(_ name: String, as: T.Type) throws -> T? where T.RawValue == String {
        guard let text = query(name) else { return nil }
        guard let value = T(rawValue: text) else { throw APIError(.badRequest, "\(name)=\(text) is not a valid value") }
        return value
    }

    func query(_ name: String, as: Int64.Type) throws -> Int64? {
        guard let text = query(name) else { return nil }
        guard let value = Int64(text) else { throw APIError(.badRequest, "\(name) must be an integer") }
        return value
    }
}

extension PageEnvelope: ResponseEncodable {}
extension ResourceEnvelope: ResponseEncodable {}

extension PageEnvelope {
    init(_ result: (items: [Item], total: Int), page: PageRequest, source: String? = nil) {
        self.init(
            data: result.items,
            meta: PageMeta(page: page.page, limit: page.limit, total: result.total, source: source)
        )
    }
}

/// `{"data": {...}}`: one resource.
public struct ResourceEnvelope<Resource: Codable & Sendable>: Codable, Sendable {
    public var data: Resource

    public init(_ data: Resource) { self.data = data }
}

/// `{"data": [...], "meta": {...}}`: one page of a list.
public struct PageEnvelope<Item: Codable & Sendable>: Codable, Sendable {
    public var data: [Item]
    public var meta: PageMeta

    public init(data: [Item], meta: PageMeta) {
        self.data = data
        self.meta = meta
    }
}

public struct PageMeta: Codable, Sendable, Hashable {
    /// From 1.
    public var page: Int
    public var limit: Int
    public var total: Int
    /// For mirror rows: `mirror` or `series`; for staged rows: `staged`.
    public var source: String?

    public init(page: Int, limit: Int, total: Int, source: String? = nil) {
        self.page = page
        self.limit = limit
        self.total = total
        self.source = source
    }

    public var pageCount: Int { total == 0 ? 1 : (total + limit - 1) / limit }
}

/// Pagination query parameters, clamped to the API's rules (page from 1, limit 1–500, default 50).
public struct PageRequest: Sendable, Hashable {
    public static let defaultLimit = 50
    public static let maximumLimit = 500

    public var page: Int
    public var limit: Int

    public init(page: Int = 1, limit: Int = PageRequest.defaultLimit) {
        self.page = page
        self.limit = limit
    }

    /// Parses `page`/`limit` query values; nil values take the defaults. Out-of-range values are
    /// an error, not silently clamped, so a script learns its request was wrong.
    public init(page: String?, limit: String?) throws(APIError) {
        let pageNumber = page.map { Int($0) } ?? 1
        let limitNumber = limit.map { Int($0) } ?? PageRequest.defaultLimit
        guard let limitNumber, (1...PageRequest.maximumLimit).contains(limitNumber) else {
            throw APIError(
                .badRequest,
                "limit must be an integer from 1 to \(PageRequest.maximumLimit)",
                details: ["parameter": .string("limit")]
            )
        }
        // The row offset (page - 1) × limit must fit a 64-bit integer.
        let maximumPage = Int.max / limitNumber
        guard let pageNumber, (1...maximumPage).contains(pageNumber) else {
            throw APIError(
                .badRequest,
                "page must be an integer from 1 to \(maximumPage) with limit \(limitNumber)",
                details: ["parameter": .string("page")]
            )
        }
        self.init(page: pageNumber, limit: limitNumber)
    }

    /// Saturates instead of trapping, for pages built in code rather than parsed.
    public var offset: Int {
        let (product, overflow) = (page - 1).multipliedReportingOverflow(by: limit)
        return overflow ? Int.max : max(0, product)
    }
}

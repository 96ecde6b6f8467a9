/// What an API token may do.
public enum TokenScope: String, Sendable, Hashable, Codable, CaseIterable {
    case read
    case mirrorRead = "mirror:read"
    case operate
    case admin
}

/// The caller of an API request.
public struct Principal: Sendable, Hashable {
    public var tokenID: String
    public var name: String
    public var scopes: Set<TokenScope>

    public init(tokenID: String, name: String, scopes: Set<TokenScope>) {
        self.tokenID = tokenID
        self.name = name
        self.scopes = scopes
    }

    /// `admin` implies every other scope.
    public func has(_ scope: TokenScope) -> Bool {
        scopes.contains(scope) || scopes.contains(.admin)
    }
}

/// A mutation's response kept for `Idempotency-Key` replays (24 h).
public struct StoredResponse: Sendable, Hashable {
    public static let lifetimeNanoseconds: Int64 = 24 * 3600 * 1_000_000_000

    public var method: String
    public var path: String
    public var bodyHash: String
    public var status: Int
    public var body: [UInt8]
}

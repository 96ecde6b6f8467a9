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
    /// A reservation whose request never completed (the process died) is free again after this.
    public static let pendingLifetimeNanoseconds: Int64 = 5 * 60 * 1_000_000_000

    public var method: String
    public var path: String
    public var bodyHash: String
    public var status: Int
    public var body: [UInt8]

    /// The same request: method, path and body.
    public func matches(_ other: StoredResponse) -> Bool {
        method == other.method && path == other.path && bodyHash == other.bodyHash
    }
}

/// What reserving an `Idempotency-Key` found. Exactly one request with a key runs: the key is
/// reserved in its own transaction before the work starts.
public enum IdempotencyReservation: Sendable, Hashable {
    /// Run the request, then complete the key with its response (or release it on failure).
    case reserved
    /// The request ran already: its response.
    case replay(StoredResponse)
    /// The same request is running now.
    case inProgress
    /// The key belongs to a different request.
    case reused
}

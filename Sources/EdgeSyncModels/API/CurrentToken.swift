/// `GET /core/api/v1/tokens/current` (ext): the caller's own token, without its secret.
public struct CurrentToken: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var scopes: [String]

    public init(id: String, name: String, scopes: [String]) {
        self.id = id
        self.name = name
        self.scopes = scopes
    }

    /// `admin` implies every other scope.
    public func allows(_ scope: String) -> Bool {
        scopes.contains(scope) || scopes.contains("admin")
    }
}

import EdgeSyncModels
import Hummingbird

/// The request context of the API: Hummingbird's core storage plus the authenticated caller.
public struct EdgeRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `BearerAuthMiddleware`; nil on the unauthenticated routes.
    public var principal: Principal?
    /// The `ORG-ID` header, accepted for compatibility; project routes check it names the
    /// project's organisation.
    public var requestedOrgID: String?

    public var responseEncoder: APIResponseEncoder { APIResponseEncoder() }
    public var requestDecoder: APIRequestDecoder { APIRequestDecoder() }

    public init(source: Source) {
        coreContext = .init(source: source)
        principal = nil
        requestedOrgID = nil
    }

    /// The caller, who must hold `scope` (`admin` holds every scope).
    func require(_ scope: TokenScope) throws -> Principal {
        guard let principal else { throw APIError(.unauthorized, "a bearer token is required") }
        guard principal.has(scope) else { throw APIError(.forbidden, "this token lacks the \(scope.rawValue) scope") }
        return principal
    }
}

import EdgeSyncModels
import HTTPTypes
import Hummingbird

/// Methods the API never serves (TRACE, CONNECT, OPTIONS, anything unknown) are a 405 with the
/// `Allow` list on every path, rather than a 404 that reads as "no such resource".
struct MethodGuardMiddleware<Context: RequestContext>: RouterMiddleware {
    static var served: [HTTPRequest.Method] { [.get, .head, .post, .put, .patch, .delete] }

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard Self.served.contains(request.method) else {
            var response = try APIError(.methodNotAllowed, "\(request.method.rawValue) is not served by this API")
                .response(from: request, context: context)
            response.headers[.allow] = Self.served.map(\.rawValue).joined(separator: ", ")
            return response
        }
        return try await next(request, context)
    }
}

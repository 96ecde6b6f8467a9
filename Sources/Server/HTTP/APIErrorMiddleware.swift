import EdgeSyncModels
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

extension APIError: HTTPResponseError {
    public var status: HTTPResponse.Status { .init(code: code.httpStatus) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = try encoder.encode(APIErrorEnvelope(self))
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Turns every failure into the API's error envelope: framework errors keep their status with
/// the matching code, anything unexpected becomes `500 internal` without its details (those go
/// to the log, never to the client).
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as StoreError where error.code == .internal {
            context.logger.error("internal error", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw APIError(.internal, "internal error")
        } catch let error as StoreError {
            throw error.apiError
        } catch let error as HTTPError {
            throw APIError(Self.code(for: error.status), error.body ?? error.status.reasonPhrase)
        } catch let error as DecodingError {
            throw APIError(.badRequest, "the request body does not fit this route: \(DecodingProblem(error))")
        } catch is NIOTooManyBytesError {
            throw APIError(.payloadTooLarge, "the request body is larger than \(context.maxUploadSize) bytes")
        } catch {
            context.logger.error("internal error", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw APIError(.internal, "internal error")
        }
    }

    static func code(for status: HTTPResponse.Status) -> APIErrorCode {
        switch status.code {
        case 401: .unauthorized
        case 403: .forbidden
        case 404: .notFound
        case 409: .conflict
        case 413: .payloadTooLarge
        case 422: .validationFailed
        case 429: .rateLimited
        case 400..<500: .badRequest
        default: .internal
        }
    }
}

/// Resolves `Authorization: Bearer …` into the context's principal; 401 when it is missing or
/// unknown. Scopes are checked per route.
struct BearerAuthMiddleware: RouterMiddleware {
    typealias Context = EdgeRequestContext
    let store: any GovernanceStore

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw APIError(.unauthorized, "send Authorization: Bearer <token>")
        }
        let token = header.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty, let principal = try await store.principal(tokenHash: Secrets.tokenHash(token)) else {
            throw APIError(.unauthorized, "unknown or revoked token")
        }
        var context = context
        context.principal = principal
        context.requestedOrgID = request.headers[HTTPField.Name("ORG-ID")!]
        return try await next(request, context)
    }
}

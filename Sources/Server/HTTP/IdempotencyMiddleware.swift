import EdgeSyncModels
import HTTPTypes
import Hummingbird

/// `Idempotency-Key` for every POST/PATCH/DELETE (docs/spec/http-api.md, "Mutations"): required (400
/// `idempotency_key_required`); a repeat of the same request by the same principal returns the
/// stored response without acting again; the same key on a different request is 422
/// `idempotency_key_reused`. The key is reserved before the work runs, so of concurrent requests
/// with one key exactly one acts; the others get 409 while it runs and its answer afterwards.
/// Successful responses are kept 24 hours; a failed request can be retried with its key. An
/// approval's preview changes nothing and needs no key.
struct IdempotencyMiddleware: RouterMiddleware {
    typealias Context = EdgeRequestContext
    let store: any GovernanceStore

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard [.post, .patch, .delete, .put].contains(request.method),
            request.uri.path.split(separator: "/").last.map(String.init) != ReviewRoutes.preview
        else { return try await next(request, context) }
        guard let key = request.headers[HTTPField.Name("Idempotency-Key")!], (1...200).contains(key.count) else {
            throw APIError(
                .idempotencyKeyRequired,
                "send an Idempotency-Key header (1–200 characters) with every mutation"
            )
        }
        guard let principal = context.principal else { throw APIError(.unauthorized, "a bearer token is required") }
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        let bodyHash = SHA256Hex.digest(body.readableBytesView)
        let method = request.method.rawValue
        let path = request.uri.path
        let identity = StoredResponse(method: method, path: path, bodyHash: bodyHash, status: 0, body: [])
        switch try await store.reserveIdempotencyKey(identity, principalID: principal.tokenID, key: key, now: .now) {
        case .reused:
            throw APIError(.idempotencyKeyReused, "this Idempotency-Key was used for a different request")
        case .inProgress:
            throw APIError(
                .conflict,
                "a request with this Idempotency-Key is still running; retry it in a moment for its answer",
                details: ["reason": .string("idempotency_key_in_progress")]
            )
        case .replay(let stored):
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            headers[HTTPField.Name("Idempotent-Replayed")!] = "true"
            return Response(
                status: .init(code: stored.status),
                headers: headers,
                body: .init(byteBuffer: ByteBuffer(bytes: stored.body))
            )
        case .reserved:
            break
        }
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            await release(key, principal, context)
            throw error
        }
        guard (200..<300).contains(response.status.code) else {
            await release(key, principal, context)
            return response
        }
        let collector = BodyCollector()
        try await response.body.write(collector)
        let bytes = await collector.bytes
        var stored = identity
        stored.status = response.status.code
        stored.body = bytes
        try await store.completeIdempotencyKey(stored, principalID: principal.tokenID, key: key, now: .now)
        return Response(
            status: response.status,
            headers: response.headers,
            body: .init(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }

    /// A failed request gives its key back; if even that fails, the reservation expires by itself.
    private func release(_ key: String, _ principal: Principal, _ context: Context) async {
        do {
            try await store.releaseIdempotencyKey(principalID: principal.tokenID, key: key)
        } catch {
            context.logger.warning("could not release an Idempotency-Key", metadata: ["error": "\(error)"])
        }
    }
}

/// Collects a response body so it can be stored and sent.
actor BodyCollector: ResponseBodyWriter {
    private(set) var bytes: [UInt8] = []

    func write(_ buffer: ByteBuffer) async throws {
        bytes.append(contentsOf: buffer.readableBytesView)
    }

    nonisolated func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

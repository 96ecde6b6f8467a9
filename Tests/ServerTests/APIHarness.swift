import EdgeSyncModels
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

@testable import Server

/// The API router over a real store with tokens of each scope and some data: a paused rows
/// lineage with a review, a telemetry lineage and a rejection.
struct APIHarness {
    /// What one request got back.
    struct Reply: Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: [UInt8]

        var json: JSONValue? { body.isEmpty ? nil : try? JSONParser().parse(body) }
    }

    let fixture: StoreFixture
    let router: Router<EdgeRequestContext>
    let app: Application<RouterResponder<EdgeRequestContext>>
    var tokens: [String: String]

    var base: String { "/core/api/v1/projects/\(fixture.projectID)" }

    static func make(uploadLimits: UploadLimits = UploadLimits()) async throws -> APIHarness {
        let fixture = try await StoreFixture.make()
        var tokens: [String: String] = [:]
        for (name, scopes) in [
            ("admin", [TokenScope.admin]), ("read", [.read]), ("mirror", [.read, .mirrorRead]),
            ("operate", [.read, .mirrorRead, .operate]),
        ] {
            let token = Secrets.randomToken()
            try await fixture.store.createToken(
                name: name,
                tokenHash: Secrets.tokenHash(token),
                scopes: scopes,
                now: .now
            )
            tokens[name] = token
        }
        _ = try await fixture.ingest(rowBatch(seqs: 1...3, columns: deviceStateV1), .rowBatch)
        _ = try await fixture.ingest(try SpecVectors.body("valid telemetry batch"), .telemetryBatch)
        _ = try await fixture.ingest(try SpecVectors.body("row count mismatch"), .telemetryBatch)
        let authority = try await DeviceAuthority.ensure(in: fixture.directory, store: fixture.store).authority
        let uploads = try await UploadDesk.open(
            dataDirectory: fixture.directory,
            store: fixture.store,
            shared: fixture.location.isShared,
            limits: uploadLimits
        )
        uploads.setBaseURL("http://127.0.0.1")
        let router = APIRouter.build(
            store: fixture.store,
            tenancy: fixture.tenancy,
            authority: authority,
            uploads: uploads
        )
        return APIHarness(fixture: fixture, router: router, app: Application(router: router), tokens: tokens)
    }

    /// One request; mutations get a fresh `Idempotency-Key` unless `key` says otherwise (nil: none).
    func send(
        _ method: HTTPRequest.Method,
        _ path: String,
        body: String? = nil,
        bytes: [UInt8]? = nil,
        token: String = "admin",
        key: String?? = .some(UUID().uuidString),
        headers extra: HTTPFields = [:]
    ) async throws -> Reply {
        let value = tokens[token] ?? (token.hasPrefix("es_") ? token : nil)
        return try await app.test(.router) { client in
            var headers = extra
            if let value { headers[.authorization] = "Bearer \(value)" }
            if body != nil { headers[.contentType] = "application/json" }
            if method != .get, case .some(.some(let key)) = key { headers[HTTPField.Name("Idempotency-Key")!] = key }
            let payload = bytes.map { ByteBuffer(bytes: $0) } ?? body.map { ByteBuffer(string: $0) }
            return try await client.execute(uri: path, method: method, headers: headers, body: payload) { response in
                Reply(status: response.status, headers: response.headers, body: Array(response.body.readableBytesView))
            }
        }
    }

    /// The same request `count` times at once: the statuses. A JSON `body` goes with the token
    /// and one `Idempotency-Key`; raw `bytes` (an upload's object) go bare.
    func sendConcurrently(
        _ count: Int,
        _ method: HTTPRequest.Method,
        _ path: String,
        body: String? = nil,
        bytes: [UInt8]? = nil,
        key: String? = nil,
        token: String = "admin"
    ) async throws -> [HTTPResponse.Status] {
        var headers = HTTPFields()
        if body != nil {
            headers[.authorization] = "Bearer \(tokens[token] ?? "")"
            headers[.contentType] = "application/json"
        }
        if let key { headers[HTTPField.Name("Idempotency-Key")!] = key }
        let fields = headers
        let payload = bytes.map { ByteBuffer(bytes: $0) } ?? ByteBuffer(string: body ?? "")
        return try await app.test(.router) { client in
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<count {
                    group.addTask {
                        try await client.execute(uri: path, method: method, headers: fields, body: payload) {
                            $0.status
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
    }

    func get<T: Decodable & Sendable>(
        _ path: String,
        token: String = "read",
        as type: T.Type = JSONValue.self,
        status expected: HTTPResponse.Status = .ok
    ) async throws -> T {
        let reply = try await send(.get, path, token: token)
        #expect(reply.status == expected, "\(path): \(String(decoding: reply.body, as: UTF8.self))")
        return try JSONDecoder().decode(T.self, from: Data(reply.body))
    }

    func error(_ path: String, token: String = "read") async throws -> (HTTPResponse.Status, APIError) {
        let reply = try await send(.get, path, token: token)
        return (reply.status, try JSONDecoder().decode(APIErrorEnvelope.self, from: Data(reply.body)).error)
    }
}

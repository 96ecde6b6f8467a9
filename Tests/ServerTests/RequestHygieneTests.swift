import EdgeSyncModels
import Foundation
import HTTPTypes
import Testing
import Yams

@testable import Server

/// Requests the API does not take are refused with the status that says why: a JSON route's body
/// labelled as something else (415), a method the API never serves (405).
@Suite("HTTP API: request hygiene")
struct RequestHygieneTests {
    @Test func aBodyLabelledAsSomethingElseIsA415() async throws {
        let harness = try await APIHarness.make()
        func register(as contentType: String) async throws -> APIHarness.Reply {
            var headers = HTTPFields()
            headers[.contentType] = contentType
            return try await harness.send(
                .post,
                "\(harness.base)/devices",
                bytes: Array(#"{"name":"pump-9"}"#.utf8),
                headers: headers
            )
        }
        let refused = try await register(as: "text/plain")
        #expect(refused.status == .unsupportedMediaType)
        #expect(refused.json?["error"]?["code"] == .string("unsupported_media_type"))
        #expect(try await register(as: "Application/JSON; charset=utf-8").status == .created)
    }

    @Test func methodsTheAPINeverServesAreA405() async throws {
        let harness = try await APIHarness.make()
        for method in [HTTPRequest.Method.trace, .connect, .options] {
            for path in ["/healthz", "\(harness.base)/devices", "/no/such/path"] {
                let reply = try await harness.send(method, path)
                #expect(reply.status == .methodNotAllowed, "\(method) \(path)")
                #expect(reply.json?["error"]?["code"] == .string("method_not_allowed"))
                #expect(reply.headers[.allow] == "GET, HEAD, POST, PUT, PATCH, DELETE")
            }
        }
    }

    @Test func theDocumentListsEveryErrorCode() throws {
        let document = try #require(try Yams.load(yaml: String(decoding: PackageResources.openapi_yaml, as: UTF8.self)))
        let schemas = (document as? [String: Any])?["components"].flatMap { ($0 as? [String: Any])?["schemas"] }
        let errorCode = (schemas as? [String: Any])?["ErrorCode"] as? [String: Any]
        let documented = try #require(errorCode?["enum"] as? [String])
        #expect(documented.sorted() == APIErrorCode.allCases.map(\.rawValue).sorted())
    }
}

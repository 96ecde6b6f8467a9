import EdgeSyncModels
import Foundation
import HTTPTypes
import Hummingbird
import Testing

@testable import Server

/// `GET /openapi.yaml` describes exactly the routes the router serves, and the responses the
/// server sends (successes and errors) match the schemas it documents.
@Suite("HTTP API: OpenAPI document")
struct OpenAPIConformanceTests {
    func contract(_ harness: APIHarness) async throws -> OpenAPIContract {
        let reply = try await harness.send(.get, "/openapi.yaml", token: "none")
        #expect(reply.status == .ok && reply.headers[.contentType]?.hasPrefix("application/yaml") == true)
        return try OpenAPIContract(yaml: String(decoding: reply.body, as: UTF8.self))
    }

    @Test func documentsEveryRouteAndNothingElse() async throws {
        let harness = try await APIHarness.make()
        try harness.router.validate()
        let contract = try await contract(harness)
        #expect(contract.document["openapi"] as? String == "3.1.0")
        let served = Set(
            harness.router.routes.map { route in
                let path =
                    "/"
                    + route.path.description.split(separator: "/").map {
                        $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0)
                    }.joined(separator: "/")
                return "\(route.method.rawValue) \(path)"
            }
        )
        #expect(served.subtracting(contract.operations).sorted() == [], "served but not documented")
        #expect(contract.operations.subtracting(served).sorted() == [], "documented but not served")
    }

    @Test func servedResponsesMatchTheDocument() async throws {
        var harness = try await APIHarness.make()
        let contract = try await contract(harness)
        let base = harness.base
        var checked = 0
        func exchange(
            _ method: HTTPRequest.Method,
            _ path: String,
            body: String? = nil,
            token: String = "admin",
            headers: HTTPFields = [:]
        ) async throws -> APIHarness.Reply {
            let reply = try await harness.send(method, path, body: body, token: token, headers: headers)
            let problems = try contract.check(
                method: method.rawValue,
                path: path,
                status: Int(reply.status.code),
                body: reply.body,
                contentType: reply.headers[.contentType]
            )
            #expect(
                problems == [],
                "\(method) \(path) → \(reply.status.code): \(String(decoding: reply.body.prefix(400), as: UTF8.self))"
            )
            checked += 1
            return reply
        }

        for probe in ["/healthz", "/readyz", "/metrics", "/openapi.yaml"] {
            _ = try await exchange(.get, probe, token: "none")
        }
        _ = try await exchange(.get, "/core/api/v1/projects")
        _ = try await exchange(.get, "/core/api/v1/projects", token: "none")
        let device = try #require(
            try await exchange(.post, "\(base)/devices", body: #"{"name":"valve-9"}"#).json?["data"]?["id"]?.stringValue
        )
        _ = try await exchange(.post, "\(base)/devices", body: #"{"name":"valve-9"}"#)
        _ = try await exchange(.post, "\(base)/devices", body: #"{"name":"a/b"}"#)
        _ = try await exchange(.get, "\(base)/devices")
        _ = try await exchange(.get, "\(base)/devices/\(device)")
        _ = try await exchange(.get, "\(base)/devices/nope")
        _ = try await exchange(.post, "\(base)/devices/\(device)/credentials", body: #"{"kind":"password"}"#)
        _ = try await exchange(.post, "\(base)/devices/\(device)/credentials", body: #"{"kind":"certificate"}"#)
        _ = try await exchange(
            .post,
            "\(base)/data-points",
            body: #"{"device_id":"\#(device)","name":"temp_c","unit":"C"}"#
        )
        _ = try await exchange(.post, "\(base)/data-points", body: #"{"device_id":"\#(device)","name":""}"#)
        _ = try await exchange(.get, "\(base)/data-points")
        let token = try #require(
            try await exchange(.post, "/core/api/v1/tokens", body: #"{"name":"ci","scopes":["read"]}"#).json?["data"]?[
                "id"
            ]?.stringValue
        )
        _ = try await exchange(.get, "/core/api/v1/tokens")
        _ = try await exchange(.get, "/core/api/v1/tokens", token: "read")
        #expect(
            try await exchange(.get, "/core/api/v1/tokens/current", token: "read").json?["data"]?["scopes"]
                == .array([.string("read")])
        )
        _ = try await exchange(.get, "/core/api/v1/tokens/current")
        _ = try await exchange(.delete, "/core/api/v1/tokens/\(token)")
        _ = try await exchange(.delete, "/core/api/v1/tokens/\(token)")

        let lineages = try #require(
            try await exchange(.get, "\(base)/edge/lineages?sort=staged").json?["data"]?.arrayValue
        )
        #expect(lineages.count == 2)
        _ = try await exchange(.get, "\(base)/edge/lineages?status=bogus")
        _ = try await exchange(.get, "\(base)/edge/lineages", token: "none")
        for lineage in lineages.compactMap({ $0["id"]?.stringValue }) {
            _ = try await exchange(.get, "\(base)/edge/lineages/\(lineage)")
            _ = try await exchange(.get, "\(base)/edge/lineages/\(lineage)/staged-rows")
            _ = try await exchange(.get, "\(base)/edge/lineages/\(lineage)/staged-rows", token: "read")
            _ = try await exchange(.get, "\(base)/edge/lineages/\(lineage)/mirror-rows")
            _ = try await exchange(.get, "\(base)/edge/lineages/\(lineage)/batches")
        }
        _ = try await exchange(.get, "\(base)/edge/lineages/nope")
        _ = try await exchange(.get, "\(base)/edge/batches")
        _ = try await exchange(.get, "\(base)/edge/batches?outcome=rejected&code=row_count_mismatch")
        _ = try await exchange(.get, "\(base)/edge/batches?outcome=nope")
        let review = try #require(
            try await exchange(.get, "\(base)/edge/schema-reviews").json?["data"]?.arrayValue?.first?["id"]?.stringValue
        )
        _ = try await exchange(.get, "\(base)/edge/schema-reviews/\(review)")
        _ = try await exchange(.get, "\(base)/edge/schema-reviews/nope")
        _ = try await exchange(.post, "\(base)/edge/schema-reviews/\(review)/claim", body: #"{"action_version":9}"#)
        _ = try await exchange(.post, "\(base)/edge/schema-reviews/\(review)/claim", body: #"{"action_version":1}"#)
        let approve =
            #"{"action_version":2,"column_actions":[{"source_column_name":"id","action":"mirror"},{"source_column_name":"mode","action":"mirror"}]}"#
        _ = try await exchange(.post, "\(base)/edge/schema-reviews/\(review)/approve", body: approve)
        _ = try await exchange(.post, "\(base)/edge/schema-reviews/\(review)/reject", body: #"{"action_version":3}"#)
        _ = try await exchange(.post, "\(base)/edge/schema-reviews/\(review)/abandon", body: #"{"action_version":3}"#)
        _ = try await exchange(.post, "\(base)/edge/registry-reviews/nope/claim", body: #"{"action_version":1}"#)
        _ = try await exchange(.post, "\(base)/edge/coalesced-mirrors/device_state/consolidate")
        let rowsLineage = try #require(lineages.first { $0["strategy"] == .string("rows") }?["id"]?.stringValue)
        _ = try await exchange(.get, "\(base)/edge/lineages/\(rowsLineage)/mirror-rows?order=-id")
        _ = try await exchange(.post, "\(base)/edge/lineages/\(rowsLineage)/reset-materialization")
        _ = try await exchange(
            .post,
            "\(base)/devices/\(harness.fixture.device.id)/edge/state-tables/\(rowsLineage)/rows",
            body: #"{"rows":[{"pk":{"id":1},"values":{"mode":"x"}}]}"#
        )
        _ = try await exchange(.delete, "\(base)/edge/lineages/\(rowsLineage)")
        _ = try await exchange(.delete, "\(base)/devices/\(device)")
        _ = try await exchange(.get, "\(base)/edge/registry")
        _ = try await exchange(.get, "\(base)/edge/registry/nope")
        _ = try await exchange(.get, "\(base)/edge/registry-reviews")
        _ = try await exchange(.get, "\(base)/edge/registry-reviews/\(review)")
        _ = try await exchange(.get, "\(base)/edge/coalesced-mirrors")
        _ = try await exchange(.get, "\(base)/edge/coalesced-mirrors/nope")
        _ = try await exchange(.get, "\(base)/edge/policy")
        _ = try await exchange(.patch, "\(base)/edge/policy", body: #"{"allow_additive_continue":true}"#)
        _ = try await exchange(.patch, "\(base)/edge/policy", body: #"{"resume_threshold_percent":500}"#)
        let fleet = harness.fixture.tenancy.fleetID
        _ = try await exchange(.get, "\(base)/fleets/\(fleet)/edge/policy")
        _ = try await exchange(
            .patch,
            "\(base)/fleets/\(fleet)/edge/policy",
            body: #"{"schema_coalescing_mode":"fleet"}"#
        )
        _ = try await exchange(.get, "\(base)/fleets/nope/edge/policy")
        let fleets = try #require(try await exchange(.get, "\(base)/fleets").json?["data"]?.arrayValue)
        #expect(fleets.map { $0["has_own_policy"] } == [.bool(true)])
        _ = try await exchange(.get, "\(base)/events?kind=edge_schema_review.queued")

        let orgID = harness.fixture.tenancy.project.orgID
        #expect(
            try await exchange(.get, "\(base)/edge/lineages", headers: [HTTPField.Name("ORG-ID")!: orgID]).status == .ok
        )
        #expect(
            try await exchange(.get, "\(base)/edge/lineages", headers: [HTTPField.Name("ORG-ID")!: "other-org"]).status
                == .forbidden
        )
        harness.tokens["revoked"] = "es_" + String(repeating: "1", count: 64)
        #expect(try await exchange(.get, "\(base)/edge/policy", token: "revoked").status == .unauthorized)
        #expect(checked > 50)
    }
}

import EdgeSyncModels
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Server

@Suite("HTTP API: policy, data points, tokens, registry")
struct GovernanceRoutesTests {
    typealias Harness = APIHarness

    func send(
        _ harness: Harness,
        _ method: HTTPRequest.Method,
        _ path: String,
        body: String? = nil,
        token: String = "admin"
    )
        async throws -> (HTTPResponse.Status, JSONValue?)
    {
        let reply = try await harness.send(method, path, body: body, token: token)
        return (reply.status, reply.json)
    }

    @Test func policyDefaultsPatchValidationAndFleetOverride() async throws {
        let harness = try await Harness.make()
        let policy = try await harness.get("\(harness.base)/edge/policy", as: ResourceEnvelope<Policy>.self).data
        #expect(policy == Policy.defaults)
        let (status, body) = try await send(
            harness,
            .patch,
            "\(harness.base)/edge/policy",
            body: #"{"allow_additive_continue":true}"#
        )
        #expect(status == .ok && body?["data"]?["allow_additive_continue"] == .bool(true))
        #expect(
            try await send(harness, .patch, "\(harness.base)/edge/policy", body: #"{"resume_threshold_percent":0}"#).0
                == .unprocessableContent
        )
        #expect(
            try await send(
                harness,
                .patch,
                "\(harness.base)/edge/policy",
                body: #"{"allow_additive_continue":false}"#,
                token: "read"
            ).0 == .forbidden
        )
        let fleet = "\(harness.base)/fleets/\(harness.fixture.tenancy.fleetID)/edge/policy"
        #expect(try await harness.get(fleet, as: ResourceEnvelope<Policy>.self).data.allowAdditiveContinue)
        _ = try await send(harness, .patch, fleet, body: #"{"schema_coalescing_mode":"fleet"}"#)
        #expect(try await harness.get(fleet, as: ResourceEnvelope<Policy>.self).data.schemaCoalescingMode == .fleet)
        #expect(
            try await harness.get("\(harness.base)/edge/policy", as: ResourceEnvelope<Policy>.self).data
                .schemaCoalescingMode == .perDevice
        )
        #expect(try await send(harness, .get, "\(harness.base)/fleets/nope/edge/policy").0 == .notFound)
    }

    @Test func dataPoints() async throws {
        let harness = try await Harness.make()
        let device = harness.fixture.device.id
        let create = #"{"device_id":"\#(device)","name":"temp_c","unit":"°C"}"#
        let (status, body) = try await send(harness, .post, "\(harness.base)/data-points", body: create)
        #expect(status == .created && body?["data"]?["unit"] == .string("°C"))
        #expect(
            try await send(harness, .post, "\(harness.base)/data-points", body: create).1?["error"]?["code"]
                == .string("conflict")
        )
        #expect(
            try await send(harness, .post, "\(harness.base)/data-points", body: #"{"device_id":"nope","name":"x"}"#).0
                == .unprocessableContent
        )
        let listed = try await harness.get(
            "\(harness.base)/data-points?device_id=\(device)",
            as: PageEnvelope<DataPoint>.self
        )
        #expect(listed.data.map(\.name) == ["temp_c"])
    }

    @Test func tokensAreCreatedOnceListedWithoutSecretsAndRevoked() async throws {
        let harness = try await Harness.make()
        let (status, body) = try await send(
            harness,
            .post,
            "/core/api/v1/tokens",
            body: #"{"name":"ci","scopes":["read","mirror:read"]}"#
        )
        #expect(status == .created)
        let secret = try #require(body?["data"]?["token"]?.stringValue)
        let id = try #require(body?["data"]?["id"]?.stringValue)
        let listed = try await send(harness, .get, "/core/api/v1/tokens").1?["data"]?.arrayValue ?? []
        #expect(listed.count == harness.tokens.count + 1 && listed.allSatisfy { $0["token"] == nil })
        #expect(try await send(harness, .get, "\(harness.base)/edge/lineages", token: secret).0 == .ok)
        #expect(try await send(harness, .get, "/core/api/v1/tokens", token: secret).0 == .forbidden)
        #expect(try await send(harness, .delete, "/core/api/v1/tokens/\(id)").0 == .noContent)
        #expect(try await send(harness, .get, "\(harness.base)/edge/lineages", token: secret).0 == .unauthorized)
        #expect(try await send(harness, .delete, "/core/api/v1/tokens/\(id)").0 == .notFound)
        #expect(
            try await send(harness, .post, "/core/api/v1/tokens", body: #"{"name":"x","scopes":["root"]}"#).0
                == .unprocessableContent
        )
    }

    @Test func registryCoalescedMirrorsAndMirrorRowsBeforeAnyApproval() async throws {
        let harness = try await Harness.make()
        for path in ["edge/registry", "edge/registry-reviews", "edge/coalesced-mirrors"] {
            let (status, body) = try await send(harness, .get, "\(harness.base)/\(path)", token: "read")
            #expect(status == .ok && body?["meta"]?["total"] == .integer(0), "\(path)")
        }
        for path in ["edge/registry/x", "edge/registry-reviews/x", "edge/coalesced-mirrors/x"] {
            #expect(try await send(harness, .get, "\(harness.base)/\(path)", token: "read").0 == .notFound)
        }
        let lineages = try await harness.get(
            "\(harness.base)/edge/lineages?sort=device",
            as: PageEnvelope<Lineage>.self
        ).data
        let rows = try await send(
            harness,
            .get,
            "\(harness.base)/edge/lineages/\(lineages[0].id)/mirror-rows",
            token: "mirror"
        )
        #expect(rows.0 == .ok && rows.1?["meta"]?["source"] == .string("mirror") && rows.1?["data"] == .array([]))
        let series = try await send(
            harness,
            .get,
            "\(harness.base)/edge/lineages/\(lineages[1].id)/mirror-rows",
            token: "mirror"
        )
        #expect(series.1?["meta"]?["source"] == .string("series"))
        #expect(
            try await send(harness, .get, "\(harness.base)/edge/lineages/\(lineages[0].id)/mirror-rows", token: "read")
                .0 == .forbidden
        )
    }
}

@Suite("HTTP API: event stream")
struct EventStreamTests {
    @Test func serverSentEventsResumeAfterLastEventID() async throws {
        let harness = try await APIHarness.make()
        let history = try await harness.get("\(harness.base)/events", as: PageEnvelope<Event>.self).data
        let reply = try await harness.send(
            .get,
            "\(harness.base)/events/stream?max_events=2",
            token: "read",
            headers: [HTTPField.Name("Last-Event-ID")!: String(history[1].id)]
        )
        #expect(reply.status == .ok && reply.headers[.contentType] == "text/event-stream")
        let text = String(decoding: reply.body, as: UTF8.self)
        let blocks = text.split(separator: "\n\n").map(String.init)
        #expect(blocks.count == 2)
        #expect(blocks[0].hasPrefix("id: \(history[2].id)\nevent: \(history[2].kind.rawValue)\ndata: {"))
        #expect(blocks[1].hasPrefix("id: \(history[3].id)\n"))
        let data = try #require(blocks[0].split(separator: "\n").last?.dropFirst("data: ".count))
        #expect(try JSONDecoder().decode(Event.self, from: Data(data.utf8)).id == history[2].id)
    }
}

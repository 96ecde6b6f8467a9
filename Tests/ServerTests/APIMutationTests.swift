import EdgeSyncModels
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Server

@Suite("HTTP API: mutations and idempotency")
struct APIMutationTests {
    typealias Harness = APIHarness

    func post(
        _ harness: Harness,
        _ path: String,
        body: String,
        token: String = "admin",
        key: String? = UUID().uuidString
    )
        async throws -> (HTTPResponse.Status, JSONValue, HTTPFields)
    {
        let reply = try await harness.send(.post, path, body: body, token: token, key: .some(key))
        return (reply.status, reply.json ?? .null, reply.headers)
    }

    @Test func registerDevicesWithValidationAndScopes() async throws {
        let harness = try await Harness.make()
        let path = "\(harness.base)/devices"
        let (status, body, _) = try await post(harness, path, body: #"{"name":"valve-2"}"#)
        #expect(status == .created)
        #expect(
            body["data"]?["name"] == .string("valve-2")
                && body["data"]?["fleet_id"] == .string(harness.fixture.tenancy.fleetID)
        )
        #expect(try await post(harness, path, body: #"{"name":"valve-2"}"#).1["error"]?["code"] == .string("conflict"))
        #expect(
            try await post(harness, path, body: #"{"name":"a/b"}"#).1["error"]?["code"] == .string("validation_failed")
        )
        #expect(
            try await post(harness, path, body: #"{"name":"x","fleet_id":"nope"}"#).1["error"]?["code"]
                == .string("validation_failed")
        )
        #expect(try await post(harness, path, body: #"{"nam":"x"}"#).1["error"]?["code"] == .string("bad_request"))
        #expect(try await post(harness, path, body: #"{"name":"x"}"#, token: "read").0 == .forbidden)
        let missingKey = try await post(harness, path, body: #"{"name":"x"}"#, key: nil)
        #expect(missingKey.0 == .badRequest && missingKey.1["error"]?["code"] == .string("idempotency_key_required"))
    }

    @Test func theSameKeyReplaysAndADifferentRequestIsRefused() async throws {
        let harness = try await Harness.make()
        let path = "\(harness.base)/devices"
        let first = try await post(harness, path, body: #"{"name":"valve-3"}"#, key: "k-1")
        let again = try await post(harness, path, body: #"{"name":"valve-3"}"#, key: "k-1")
        #expect(first.0 == .created && again.0 == .created)
        #expect(first.1 == again.1)
        #expect(again.2[HTTPField.Name("Idempotent-Replayed")!] == "true")
        let devices = try await harness.get("\(path)", as: PageEnvelope<Device>.self)
        #expect(devices.meta.total == 2)
        let reused = try await post(harness, path, body: #"{"name":"valve-4"}"#, key: "k-1")
        #expect(reused.0 == .unprocessableContent && reused.1["error"]?["code"] == .string("idempotency_key_reused"))
    }

    @Test func passwordCredentialsAreShownOnceAndStoredHashed() async throws {
        let harness = try await Harness.make()
        let device = harness.fixture.device
        let (status, body, _) = try await post(
            harness,
            "\(harness.base)/devices/\(device.id)/credentials",
            body: #"{"kind":"password"}"#
        )
        #expect(status == .created)
        let secret = try #require(body["data"]?["password"]?.stringValue)
        #expect(body["data"]?["username"] == .string("pump-7"))
        let stored = try #require(try await harness.fixture.store.passwordHash(deviceID: device.id))
        #expect(!stored.contains(secret) && Secrets.verifyPassword(Array(secret.utf8), against: stored))
        let listed = try await harness.get("\(harness.base)/devices/\(device.id)", as: ResourceEnvelope<Device>.self)
        #expect(listed.data.credentialKinds == [.password])
        #expect(
            try await post(
                harness,
                "\(harness.base)/devices/\(device.id)/credentials",
                body: #"{"kind":"carrier-pigeon"}"#
            ).0 == .badRequest
        )
    }

    /// Ten concurrent POSTs with one key: exactly one acts; the others get its answer or a 409
    /// while it runs, never a second token.
    @Test func concurrentRequestsWithOneKeyActOnce() async throws {
        let harness = try await APIHarness.make()
        let statuses = try await harness.sendConcurrently(
            10,
            .post,
            "/core/api/v1/tokens",
            body: #"{"name":"dashboard","scopes":["read"]}"#,
            key: "one-key"
        )
        #expect(statuses.allSatisfy { $0 == .created || $0 == .conflict }, "\(statuses)")
        #expect(statuses.contains(.created))
        let tokens = try await harness.fixture.store.tokens(page: PageRequest(page: 1, limit: 500)).items
        #expect(tokens.filter { $0.name == "dashboard" }.count == 1)
        // A failed request gives its key back: the same key then works for the corrected request.
        let refused = try await harness.send(
            .post,
            "/core/api/v1/tokens",
            body: #"{"name":"x","scopes":["nope"]}"#,
            key: "k2"
        )
        #expect(refused.status.code >= 400)
        let retried = try await harness.send(
            .post,
            "/core/api/v1/tokens",
            body: #"{"name":"x","scopes":["read"]}"#,
            key: "k2"
        )
        #expect(retried.status == .created)
    }
}

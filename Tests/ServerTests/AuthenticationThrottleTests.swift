import EdgeSyncModels
import Foundation
import MQTT
import TestSupport
import Testing

@testable import Server

/// Password guessing over MQTT is bounded: unknown names cost a check like known ones, and a
/// source past its failures is locked out (doubling), with an event for a known device.
@Suite("MQTT authentication throttle")
struct AuthenticationThrottleTests {
    @Test func unknownNamesCostACheckToo() async {
        let throttle = AuthenticationThrottle()
        let stored = Secrets.passwordHash("right")
        #expect(await throttle.verify(Array("right".utf8), against: stored))
        #expect(await !throttle.verify(Array("wrong".utf8), against: stored))
        #expect(await !throttle.verify(Array("right".utf8), against: nil))
        #expect(await throttle.checks == 3)
    }

    @Test func sourcesPastTheirFailuresAreLockedOutForLongerEachTime() async {
        var limits = AuthenticationThrottle.Limits()
        limits.failuresPerDevice = 3
        limits.failuresPerAddress = 5
        let throttle = AuthenticationThrottle(limits: limits)
        let start = ContinuousClock.now
        for attempt in 1...2 {
            #expect(
                await throttle.recordFailure(name: "pump-7", address: "10.0.0.9", now: start) == .allowed,
                "\(attempt)"
            )
        }
        #expect(
            await throttle.recordFailure(name: "pump-7", address: "10.0.0.9", now: start)
                == .lockedOut(until: start + .seconds(60))
        )
        #expect(await throttle.isLockedOut(name: "pump-7", address: "10.0.0.9", now: start + .seconds(59)))
        #expect(await !throttle.isLockedOut(name: "pump-7", address: "10.0.0.8", now: start), "another address")
        #expect(await !throttle.isLockedOut(name: "pump-7", address: "10.0.0.9", now: start + .seconds(61)))
        let later = start + .seconds(61)
        for _ in 1...2 { _ = await throttle.recordFailure(name: "pump-7", address: "10.0.0.9", now: later) }
        #expect(
            await throttle.recordFailure(name: "pump-7", address: "10.0.0.9", now: later)
                == .lockedOut(until: later + .seconds(120)),
            "the second lockout is twice as long"
        )
        // Many names from one address lock the address out.
        let other = start + .seconds(1_000)
        for index in 1...4 {
            #expect(await throttle.recordFailure(name: "guess-\(index)", address: "10.0.0.7", now: other) == .allowed)
        }
        #expect(await throttle.recordFailure(name: "guess-5", address: "10.0.0.7", now: other) != .allowed)
        #expect(await throttle.isLockedOut(name: "anything", address: "10.0.0.7", now: other))
    }

    @Test func aLockedOutDeviceIsRefusedEvenWithItsPasswordAndItShowsAsAnEvent() async throws {
        let (server, endpoints, _) = try await ServerEndToEndTests.open {
            $0.authenticationLimits.failuresPerDevice = 3
        }
        let api = LiveHTTP(
            baseURL: endpoints.http + "/core/api/v1/projects/\(server.tenancy.project.id)",
            token: server.adminToken
        )
        let device = try await api.post("/devices", body: #"{"name":"pump-7"}"#, as: ResourceEnvelope<Device>.self).data
        let secret = try #require(
            try await api.post(
                "/devices/\(device.id)/credentials",
                body: #"{"kind":"password"}"#,
                as: ResourceEnvelope<IssuedCredentials>.self
            ).data.password
        )
        func connect(_ password: String) async throws -> MQTTClientError? {
            let client = ServerEndToEndTests.client(endpoints, device: "pump-7", password: password)
            defer { Task { await client.shutdown() } }
            do {
                try await client.connect()
                return nil
            } catch let error as MQTTClientError {
                return error
            }
        }
        #expect(try await connect(secret) == nil)
        for _ in 1...3 { #expect(try await connect("wrong") == .connectionRefused(.badUsernameOrPassword)) }
        #expect(try await connect(secret) != nil, "locked out: refused without a check")
        let events = try await api.get("/events?kind=device.auth_refused", as: PageEnvelope<Event>.self).data
        #expect(events.map(\.outcome) == ["locked_out"])
        await server.stop()
    }
}

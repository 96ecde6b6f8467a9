import MQTT
import NIOCore
import TestSupport
import Testing

/// Debian's `mosquitto_pub` and `mosquitto_sub` as third-party devices against our listener.
@Suite("Interop: mosquitto clients ⇄ our listener", .serialized)
struct MosquittoClientsInteropTests {
    typealias H = ListenerHarness

    static func common(_ harness: H, id: String) -> [String] {
        ["-h", "127.0.0.1", "-p", String(harness.port), "-V", "mqttv311", "-i", id]
    }

    @Test func publishIsAcceptedAndHandedToTheHandler() async throws {
        try await H.with(authenticator: H.passwords) { harness in
            let output = try await ProcessRunner.run(
                "mosquitto_pub",
                Self.common(harness, id: "dev-1") + [
                    "-u", "dev-1", "-P", "dev-1-secret", "-q", "1", "-t", "dev/dev-1/sync/rows/batch", "-m",
                    #"{"format_version":1}"#,
                ]
            )
            #expect(output.status == 0, "\(output.stderr)")
            let messages = await harness.delegate.messages
            #expect(messages.count == 1)
            #expect(
                messages.first?.topic == "dev/dev-1/sync/rows/batch"
                    && messages.first?.payload == #"{"format_version":1}"#
            )
            let refused = try await ProcessRunner.run(
                "mosquitto_pub",
                Self.common(harness, id: "dev-1") + [
                    "-u", "dev-1", "-P", "nope", "-q", "1", "-t", "dev/dev-1/sync/rows/batch", "-m", "x",
                ]
            )
            #expect(refused.status != 0)
            #expect(refused.stderr.lowercased().contains("bad user name or password"), "\(refused.stderr)")
        }
    }

    @Test func forbiddenPublishClosesTheConnectionAndIsAudited() async throws {
        try await H.with { harness in
            let output = try await ProcessRunner.run(
                "mosquitto_pub",
                Self.common(harness, id: "dev-1") + [
                    "-q", "1", "-t", "dev/dev-2/sync/rows/batch", "-m", "intrusion",
                ]
            )
            #expect(output.status != 0)
            #expect(await harness.delegate.messages.isEmpty)
            #expect(await harness.delegate.waitFor { $0.denials.count == 1 })
            let denial = await harness.delegate.denials.first
            #expect(
                denial?.clientID == "dev-1"
                    && denial?.denial == MQTTACLDenial(action: .publish, topic: "dev/dev-2/sync/rows/batch")
            )
        }
    }

    @Test func forbiddenSubscribeGetsFailureReturnCode() async throws {
        try await H.with { harness in
            let output = try await ProcessRunner.run(
                "mosquitto_sub",
                Self.common(harness, id: "dev-1") + [
                    "-q", "1", "-t", "dev/dev-2/sync/ingest/control", "-W", "3",
                ]
            )
            #expect(
                (output.stdout + output.stderr).contains("All subscription requests were denied"),
                "\(output.stdout) \(output.stderr)"
            )
            #expect(await harness.delegate.denials.map(\.denial.action) == [.subscribe])
        }
    }

    @Test func queuedDownlinkReachesAPersistentSubscriberOnReconnect() async throws {
        try await H.with { harness in
            let control = "dev/dev-1/sync/ingest/control"
            let subscribe = Self.common(harness, id: "dev-1") + ["-c", "-q", "1", "-t", control]
            // First session: subscribe, then go away (timeout) without clean session.
            _ = try await ProcessRunner.run("mosquitto_sub", subscribe + ["-W", "1"])
            #expect(await harness.delegate.waitFor { $0.disconnects.count == 1 })
            let acks = AckCounter()
            await harness.listener.publish(
                to: "dev-1",
                topic: control,
                payload: ByteBuffer(string: #"{"control_id":"c-1"}"#)
            ) {
                await acks.add("c-1")
            }
            #expect(await harness.listener.pendingDownlinks(for: "dev-1") == (queued: 1, inflight: 0))
            let output = try await ProcessRunner.run("mosquitto_sub", subscribe + ["-C", "1", "-W", "5"])
            #expect(output.status == 0, "\(output.stderr)")
            #expect(output.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == #"{"control_id":"c-1"}"#)
            // mosquitto_sub acknowledges and disconnects at once: the PUBACK still counts.
            #expect(await acks.wait(for: ["c-1"]))
        }
    }

    @Test func mutualTLSChecksTheChainAndTheCommonName() async throws {
        let certificates = try await TestCertificates.make()
        let tls = try MQTTListenerConfiguration.mutualTLS(
            certificatePath: certificates.serverCertificate,
            keyPath: certificates.serverKey,
            clientCAPath: certificates.caCertificate
        )
        try await H.with(authenticator: H.certificates, tls: tls) { harness in
            func publish(certificate: String?, key: String?) async throws -> ProcessRunner.Output {
                var arguments = Self.common(harness, id: "dev-1") + ["--cafile", certificates.caCertificate]
                if let certificate, let key { arguments += ["--cert", certificate, "--key", key] }
                return try await ProcessRunner.run(
                    "mosquitto_pub",
                    arguments + [
                        "-q", "1", "-t", "dev/dev-1/sync/rows/batch", "-m", "over-tls",
                    ]
                )
            }
            let accepted = try await publish(certificate: certificates.deviceCertificate, key: certificates.deviceKey)
            #expect(accepted.status == 0, "\(accepted.stderr)")
            #expect(await harness.delegate.messages.map(\.payload) == ["over-tls"])
            #expect(await harness.delegate.connects.first?.usesTLS == true)

            let foreign = try await publish(certificate: certificates.foreignCertificate, key: certificates.foreignKey)
            #expect(foreign.status != 0)
            let otherName = try await publish(
                certificate: certificates.otherCNCertificate,
                key: certificates.otherCNKey
            )
            #expect(otherName.status != 0)
            #expect(otherName.stderr.lowercased().contains("not authori"), "\(otherName.stderr)")
            let anonymous = try await publish(certificate: nil, key: nil)
            #expect(anonymous.status != 0)
            #expect(await harness.delegate.messages.count == 1)
        }
    }
}

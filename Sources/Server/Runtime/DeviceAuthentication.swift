import EdgeSyncModels
import Logging
import MQTT

/// Builds the listener's authenticator from the store: password devices always; dev-open
/// (auto-registration in the default fleet) when configured, which also confines the listener
/// to loopback.
enum DeviceAuthentication {
    static func authenticator(
        store: any GovernanceStore,
        tenancy: Tenancy,
        ingress: MQTTIngress,
        devOpen: Bool,
        throttle: AuthenticationThrottle,
        logger: Logger
    ) -> any MQTTAuthenticator {
        let projectID = tenancy.project.id
        let passwords = PasswordAuthenticator { clientID, password, host in
            let address = host ?? "unknown"
            guard await !throttle.isLockedOut(name: clientID, address: address) else { return nil }
            let device = try? await store.device(named: clientID, projectID: projectID)
            var hash: String?
            if let device { hash = (try? await store.passwordHash(deviceID: device.id)) ?? nil }
            if await throttle.verify(password, against: hash), let device {
                await throttle.recordSuccess(name: clientID, address: address)
                return ingress.principal(for: device)
            }
            if case .lockedOut(let until) = await throttle.recordFailure(name: clientID, address: address) {
                let seconds = (until - .now).components.seconds
                await refused(
                    clientID,
                    device,
                    outcome: "locked_out",
                    "too many failed passwords from \(address): refused for \(seconds) s",
                    store: store,
                    logger: logger
                )
            }
            return nil
        }
        guard devOpen else { return passwords }
        let open = DevOpenAuthenticator { clientID in
            guard DeviceName.isValid(clientID) else { return nil }
            if let device = try? await store.device(named: clientID, projectID: projectID) {
                return ingress.principal(for: device)
            }
            _ = try? await store.registerDevice(
                name: clientID,
                projectID: projectID,
                fleetID: tenancy.fleetID,
                now: .now
            )
            guard let device = try? await store.device(named: clientID, projectID: projectID) else { return nil }
            return ingress.principal(for: device)
        }
        return FirstAcceptingAuthenticator([passwords, open])
    }

    /// mTLS on the TLS listener: the device must exist and present the certificate it was issued
    /// last. A known device refused with another one (superseded, revoked) is logged and recorded
    /// as an event, so that a stolen or stale certificate shows.
    static func certificateAuthenticator(
        store: any GovernanceStore,
        tenancy: Tenancy,
        ingress: MQTTIngress,
        logger: Logger
    ) -> CertificateAuthenticator {
        let projectID = tenancy.project.id
        return CertificateAuthenticator { clientID, presented in
            guard let device = try? await store.device(named: clientID, projectID: projectID) else { return nil }
            let current = (try? await store.certificateSerial(deviceID: device.id)).flatMap { $0 }
            if let current, CertificateSerial(stored: current) == CertificateSerial(bytes: presented) {
                return ingress.principal(for: device)
            }
            let serial = presented.map { String($0, radix: 16) }.joined(separator: ":")
            let reason = current == nil ? "the device has no certificate" : "not the device's current certificate"
            await refused(
                clientID,
                device,
                outcome: "certificate",
                "certificate \(serial) refused: \(reason)",
                store: store,
                logger: logger
            )
            return nil
        }
    }

    /// A refusal worth an operator's eye: logged, and an event when the device is known.
    static func refused(
        _ clientID: String,
        _ device: DeviceIdentity?,
        outcome: String,
        _ message: String,
        store: any GovernanceStore,
        logger: Logger
    ) async {
        logger.warning("device refused", metadata: ["device": "\(clientID)", "reason": "\(message)"])
        guard let device else { return }
        try? await store.recordEvent(device: device, kind: .deviceAuthRefused, outcome: outcome, message: message)
    }

    /// The device ACL of the wire protocol.
    static let acl = DeviceTopicACL(
        publishSuffixes: Set(UplinkTopic.allCases.map(\.rawValue)),
        subscribeSuffixes: [TopicLayout.controlSuffix]
    )
}

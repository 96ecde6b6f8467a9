import EdgeSyncModels
import MQTT

/// Builds the listener's authenticator from the store: password devices always; dev-open
/// (auto-registration in the default fleet) when configured, which also confines the listener
/// to loopback.
enum DeviceAuthentication {
    static func authenticator(
        store: any GovernanceStore,
        tenancy: Tenancy,
        ingress: MQTTIngress,
        devOpen: Bool
    ) -> any MQTTAuthenticator {
        let projectID = tenancy.project.id
        let passwords = PasswordAuthenticator { clientID, password in
            guard let device = try? await store.device(named: clientID, projectID: projectID),
                let hash = try? await store.passwordHash(deviceID: device.id),
                Secrets.verifyPassword(password, against: hash)
            else { return nil }
            return ingress.principal(for: device)
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

    /// The device ACL of the wire protocol.
    static let acl = DeviceTopicACL(
        publishSuffixes: Set(UplinkTopic.allCases.map(\.rawValue)),
        subscribeSuffixes: [TopicLayout.controlSuffix]
    )
}

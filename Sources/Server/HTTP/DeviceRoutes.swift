import EdgeSyncModels
import Hummingbird

/// Devices: list and read (`read`), register and issue credentials (`admin`).
struct DeviceRoutes {
    let store: any GovernanceStore
    let tenancy: Tenancy
    let authority: DeviceAuthority

    func register(on group: RouterGroup<EdgeRequestContext>) {
        group.get("devices") { request, context in
            _ = try context.require(.read)
            let page = try request.page()
            return PageEnvelope(try await store.devices(projectID: try await project(context), page: page), page: page)
        }
        group.get("devices/:device_id") { _, context in
            _ = try context.require(.read)
            return ResourceEnvelope(try await device(context))
        }
        group.post("devices") { request, context in
            _ = try context.require(.admin)
            let projectID = try await project(context)
            let body = try await request.decode(as: CreateDeviceRequest.self, context: context)
            guard DeviceName.isValid(body.name) else {
                throw APIError(
                    .validationFailed,
                    "name must be 1–64 characters of A-Z a-z 0-9 . _ -",
                    details: ["field": .string("name")]
                )
            }
            let device = try await store.registerDevice(
                name: body.name,
                projectID: projectID,
                fleetID: body.fleetID ?? tenancy.fleetID,
                now: .now
            )
            return EditedResponse(status: .created, response: ResourceEnvelope(device))
        }
        group.post("devices/:device_id/credentials") { request, context in
            _ = try context.require(.admin)
            let device = try await device(context)
            let body = try await request.decode(as: CredentialRequest.self, context: context)
            switch body.kind {
            case .password:
                let secret = Secrets.randomToken(bytes: 24)
                try await store.setDevicePassword(deviceID: device.id, hash: Secrets.passwordHash(secret))
                return EditedResponse(
                    status: .created,
                    response: ResourceEnvelope(
                        IssuedCredentials(kind: .password, username: device.name, password: secret)
                    )
                )
            case .certificate:
                let issued = try authority.issueClientCertificate(deviceName: device.name)
                try await store.setDeviceCertificate(deviceID: device.id, serial: issued.serialNumber)
                return EditedResponse(
                    status: .created,
                    response: ResourceEnvelope(
                        IssuedCredentials(
                            kind: .certificate,
                            username: device.name,
                            certificatePEM: issued.certificatePEM,
                            privateKeyPEM: issued.privateKeyPEM,
                            caCertificatePEM: issued.caCertificatePEM
                        )
                    )
                )
            }
        }
    }

    struct CredentialRequest: Decodable {
        var kind: CredentialKind
    }

    func device(_ context: EdgeRequestContext) async throws -> Device {
        let id = try context.parameters.require("device_id")
        let projectID = try await project(context)
        guard let device = try await store.device(id: id), device.projectID == projectID else {
            throw APIError(.notFound, "no device \(id)")
        }
        return device
    }

    func project(_ context: EdgeRequestContext) async throws -> String {
        try await ProjectScope.projectID(context, store: store)
    }
}

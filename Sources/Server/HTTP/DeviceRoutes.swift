import EdgeSyncModels
import Hummingbird

/// Devices: list and read (`read`); register, delete, issue and revoke credentials (`admin`).
/// Deleting a device or revoking its credentials also closes its live connection.
struct DeviceRoutes: ProjectRoutes {
    let store: any GovernanceStore
    let tenancy: Tenancy
    let authority: DeviceAuthority
    let connections: (any DeviceConnections)?

    func register(on group: RouterGroup<EdgeRequestContext>) {
        group.get("devices") { request, context in
            _ = try context.require(.read)
            let page = try request.page()
            return PageEnvelope(
                try await store.devices(
                    projectID: try await project(context),
                    query: try request.textFilter(),
                    page: page
                ),
                page: page
            )
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
        group.delete("devices/:device_id") { _, context in
            _ = try context.require(.admin)
            let device = try await device(context)
            try await store.deleteDevice(id: device.id, projectID: device.projectID, now: .now)
            await connections?.disconnect(deviceName: device.name)
            return HTTPResponse.Status.noContent
        }
        group.post("devices/:device_id/credentials/revoke") { request, context in
            let principal = try context.require(.admin)
            let device = try await device(context)
            var request = request
            let body = try await request.collectBody(upTo: context.maxUploadSize)
            let kind =
                body.readableBytes == 0 ? nil : try await request.decode(as: RevokeRequest.self, context: context).kind
            guard
                let revoked = try await store.revokeDeviceCredentials(
                    deviceID: device.id,
                    projectID: device.projectID,
                    kinds: kind.map { [$0] } ?? Set(CredentialKind.allCases),
                    by: principal.name,
                    now: .now
                )
            else { throw APIError(.notFound, "no device \(device.id)") }
            await connections?.disconnect(deviceName: device.name)
            return ResourceEnvelope(revoked)
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

    struct RevokeRequest: Decodable {
        var kind: CredentialKind?
    }

    func device(_ context: EdgeRequestContext) async throws -> Device {
        let id = try context.parameters.require("device_id")
        let projectID = try await project(context)
        guard let device = try await store.device(id: id), device.projectID == projectID else {
            throw APIError(.notFound, "no device \(id)")
        }
        return device
    }
}

import EdgeSyncModels
import Foundation

/// The requests the console, the CLI and the demo all make, typed once. `base` is `/projects/ID`.
extension APIClient {
    /// `POST …/devices`: a device registered under its MQTT client id.
    func registerDevice(_ request: CreateDeviceRequest, base: String) async throws -> Device {
        try await send(
            "POST",
            "\(base)/devices",
            body: Array(try JSONEncoder().encode(request)),
            as: ResourceEnvelope<Device>.self
        ).data
    }

    /// `POST …/devices/ID/credentials`: a new password or client certificate.
    func issueCredentials(_ kind: CredentialKind, deviceID: String, base: String) async throws -> IssuedCredentials {
        try await send(
            "POST",
            "\(base)/devices/\(deviceID)/credentials",
            body: Array(#"{"kind":"\#(kind.rawValue)"}"#.utf8),
            as: ResourceEnvelope<IssuedCredentials>.self
        ).data
    }

    /// `POST …/edge/batches/ID/reingest`: a rejected batch's kept bytes ingested again.
    func reingest(entryID id: Int64, base: String) async throws -> ReingestResult {
        try await send(
            "POST",
            "\(base)/edge/batches/\(id)/reingest",
            body: nil,
            as: ResourceEnvelope<ReingestResult>.self
        ).data
    }
}

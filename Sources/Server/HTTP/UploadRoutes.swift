import EdgeSyncModels
import Foundation
import Hummingbird

/// `PUT /core/api/v1/uploads/{upload_id}?exp=…&sig=…`: the object of a granted upload. The
/// HMAC signature stands in for the bearer token; a grant takes one object, once.
struct UploadRoutes {
    struct Receipt: Codable, Sendable {
        var uploadID: String
        var bytes: Int

        enum CodingKeys: String, CodingKey {
            case uploadID = "upload_id"
            case bytes
        }
    }

    let store: any GovernanceStore
    let desk: UploadDesk

    func register(on router: Router<EdgeRequestContext>) {
        router.put("core/api/v1/uploads/:upload_id") { request, context in
            let id = try context.parameters.require("upload_id")
            guard let expires = request.uri.queryParameters.get("exp", as: Int64.self),
                let signature = request.uri.queryParameters.get("sig"),
                desk.verify(uploadID: id, expires: expires, signature: signature, now: Timestamp.now.seconds)
            else { throw APIError(.forbidden, "the upload URL is invalid or expired; request a new grant") }
            guard let record = try await store.upload(id: id) else { throw APIError(.notFound, "no upload \(id)") }
            // Taken atomically: of concurrent PUTs to one grant, one writes and the others get 409.
            guard try await store.beginReceiving(uploadID: id, now: .now) else {
                throw APIError(.conflict, "upload \(id) already received its object, or is receiving it")
            }
            let limits = desk.limits
            let room = limits.maximumOpenBytesPerDevice - (try await store.openUploadBytes(deviceID: record.deviceID))
            let limit = min(limits.maximumObjectBytes, room)
            var bytes = 0
            do {
                try await desk.objects.receive(id) { append in
                    for try await buffer in request.body {
                        bytes += buffer.readableBytes
                        guard bytes <= limit else {
                            throw APIError(
                                .payloadTooLarge,
                                limit < limits.maximumObjectBytes
                                    ? "the device's objects waiting for finalize would pass \(limits.maximumOpenBytesPerDevice) bytes; finalize them first"
                                    : "an upload object is at most \(limits.maximumObjectBytes) bytes"
                            )
                        }
                        try await append(Array(buffer.readableBytesView))
                    }
                }
            } catch {
                // The grant may be used again (the device retries its PUT).
                try await store.setUploadState(id: id, .granted, bytes: nil, now: .now)
                throw error
            }
            guard try await store.setUploadState(id: id, .received, bytes: bytes, now: .now) else {
                // The grant expired and was swept while the object arrived.
                await desk.objects.remove(id)
                throw APIError(.notFound, "upload \(id) expired while its object was sent; request a new grant")
            }
            return EditedResponse(status: .created, response: ResourceEnvelope(Receipt(uploadID: id, bytes: bytes)))
        }
    }
}

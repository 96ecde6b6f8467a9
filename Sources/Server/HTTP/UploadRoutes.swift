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
            let room =
                UploadDesk.maximumOpenBytesPerDevice - (try await store.openUploadBytes(deviceID: record.deviceID))
            let limit = min(UploadDesk.maximumBytes, room)
            let path = desk.objectPath(id)
            let partial = path.appendingPathExtension("part")
            var bytes = 0
            do {
                FileManager.default.createFile(atPath: partial.path, contents: nil)
                let file = try FileHandle(forWritingTo: partial)
                defer { try? file.close() }
                for try await buffer in request.body {
                    bytes += buffer.readableBytes
                    guard bytes <= limit else {
                        throw APIError(
                            .payloadTooLarge,
                            limit < UploadDesk.maximumBytes
                                ? "the device's objects waiting for finalize would pass \(UploadDesk.maximumOpenBytesPerDevice) bytes; finalize them first"
                                : "an upload object is at most \(UploadDesk.maximumBytes) bytes"
                        )
                    }
                    try file.write(contentsOf: Data(buffer.readableBytesView))
                }
                try file.synchronize()
            } catch {
                desk.removeObject(id)
                // The grant may be used again (the device retries its PUT).
                try await store.setUploadState(id: id, .granted, bytes: nil, now: .now)
                throw error
            }
            try? FileManager.default.removeItem(at: path)
            try FileManager.default.moveItem(at: partial, to: path)
            guard try await store.setUploadState(id: id, .received, bytes: bytes, now: .now) else {
                // The grant expired and was swept while the object arrived.
                desk.removeObject(id)
                throw APIError(.notFound, "upload \(id) expired while its object was sent; request a new grant")
            }
            return EditedResponse(status: .created, response: ResourceEnvelope(Receipt(uploadID: id, bytes: bytes)))
        }
    }
}

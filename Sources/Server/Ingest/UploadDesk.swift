import Crypto
import EdgeSyncModels
import Foundation
import Synchronization

/// The upload flow's server side (docs/spec/wire-protocol.md, "Ingest requests"): signs single-use PUT
/// URLs (HMAC-SHA256 over id and expiry with a key kept in the store) and keeps the received
/// objects until they are finalized.
public final class UploadDesk: Sendable {
    let key: SymmetricKey
    /// Where the objects live between their PUT and their finalize.
    public let objects: any UploadObjects
    public let limits: UploadLimits
    private let baseURL = Mutex<String?>(nil)

    public init(key: SymmetricKey, objects: any UploadObjects, limits: UploadLimits = UploadLimits()) {
        self.key = key
        self.objects = objects
        self.limits = limits
    }

    /// The desk of a server: the store's signing key (the data directory's `upload.key` from
    /// before the store kept it, else a new one), shared by every server of the store, and its
    /// objects in the data directory or, when the store is shared, in the store.
    public static func open(
        dataDirectory: URL,
        store: any GovernanceStore,
        shared: Bool,
        limits: UploadLimits = UploadLimits()
    ) async throws -> UploadDesk {
        let legacy = try? Data(contentsOf: dataDirectory.appendingPathComponent("upload.key"))
        let key = try await store.secret("upload_key") {
            if let legacy, legacy.count == 32 { return Hex.encode(Array(legacy)) }
            return Hex.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
        }
        guard let bytes = Hex.decode(key), bytes.count == 32 else {
            throw StoreError(.internal, "the store's upload signing key is malformed")
        }
        let objects: any UploadObjects =
            shared
            ? StoreUploadObjects(store: store)
            : try FileUploadObjects(directory: dataDirectory.appendingPathComponent("uploads"))
        return UploadDesk(key: SymmetricKey(data: bytes), objects: objects, limits: limits)
    }

    /// Where the HTTP API is reachable from devices (set once the server listens).
    public func setBaseURL(_ url: String) {
        baseURL.withLock { $0 = url }
    }

    func signature(uploadID: String, expires: Int64) -> String {
        Hex.encode(HMAC<SHA256>.authenticationCode(for: Array("\(uploadID).\(expires)".utf8), using: key))
    }

    /// The presigned URL of an upload.
    func url(uploadID: String, expires: Int64) -> String? {
        baseURL.withLock { $0 }.map {
            "\($0)/core/api/v1/uploads/\(uploadID)?exp=\(expires)&sig=\(signature(uploadID: uploadID, expires: expires))"
        }
    }

    /// Whether a PUT's signature and expiry are good (constant-time comparison).
    func verify(uploadID: String, expires: Int64, signature presented: String, now: Int64) -> Bool {
        guard now <= expires else { return false }
        let expected = Array(signature(uploadID: uploadID, expires: expires).utf8)
        let given = Array(presented.utf8)
        guard expected.count == given.count else { return false }
        return zip(expected, given).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

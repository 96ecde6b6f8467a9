import Crypto
import EdgeSyncModels
import Foundation
import Synchronization

/// The upload flow's server side (docs/spec/wire-protocol.md, "Ingest requests"): signs single-use PUT
/// URLs (HMAC-SHA256 over id and expiry with a key kept in the data directory, 0600) and keeps
/// the received objects until they are finalized.
public final class UploadDesk: Sendable {
    /// Grants last 15 minutes; objects are at most 1 GiB.
    public static let lifetime: Int64 = 15 * 60
    public static let maximumBytes = 1 << 30
    /// A device holds at most 4 grants that are neither finalized nor expired, and 2 GiB of
    /// objects received and not yet finalized.
    public static let maximumOpenGrantsPerDevice = 4
    public static let maximumOpenBytesPerDevice = 2 << 30
    /// An object not finalized an hour after its grant expired is removed.
    public static let keepReceivedFor: Int64 = 3600

    let key: SymmetricKey
    public let directory: URL
    private let baseURL = Mutex<String?>(nil)

    public init(dataDirectory: URL) throws {
        directory = dataDirectory.appendingPathComponent("uploads")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let keyFile = dataDirectory.appendingPathComponent("upload.key")
        if let existing = try? Data(contentsOf: keyFile), existing.count == 32 {
            key = SymmetricKey(data: existing)
        } else {
            let fresh = SymmetricKey(size: .bits256)
            let bytes = fresh.withUnsafeBytes { Data($0) }
            _ = FileManager.default.createFile(
                atPath: keyFile.path,
                contents: bytes,
                attributes: [.posixPermissions: 0o600]
            )
            key = fresh
        }
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

    func objectPath(_ uploadID: String) -> URL {
        directory.appendingPathComponent(uploadID + ".jsonl.zst")
    }

    /// Removes an upload's object and any partial one.
    func removeObject(_ uploadID: String) {
        let path = objectPath(uploadID)
        try? FileManager.default.removeItem(at: path)
        try? FileManager.default.removeItem(at: path.appendingPathExtension("part"))
    }
}

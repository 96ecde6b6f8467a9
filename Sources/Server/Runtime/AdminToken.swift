import EdgeSyncModels
import Foundation

/// The admin token: kept in the store, so that every server of a store serves the same one, and
/// written to `<data-dir>/admin.token` (mode 0600) where the console and scripts read it. A data
/// directory's token from before the store kept it becomes the store's on first start.
enum AdminToken {
    static let fileName = "admin.token"

    static func ensure(in directory: URL, store: any GovernanceStore) async throws -> String {
        let url = directory.appendingPathComponent(fileName)
        let legacy = (try? String(contentsOf: url, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        let token = try await store.adminToken(legacy: legacy?.isEmpty == false ? legacy : nil, now: .now)
        if legacy != token {
            _ = FileManager.default.createFile(
                atPath: url.path,
                contents: Data((token + "\n").utf8),
                attributes: [.posixPermissions: 0o600]
            )
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
        return token
    }
}

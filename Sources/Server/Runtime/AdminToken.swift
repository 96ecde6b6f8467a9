import EdgeSyncModels
import Foundation

/// The admin token of an embedded or fresh server: created on first start, kept in
/// `<data-dir>/admin.token` with mode 0600, re-created if the file no longer matches the store.
enum AdminToken {
    static let fileName = "admin.token"

    static func ensure(in directory: URL, store: any GovernanceStore) async throws -> String {
        let url = directory.appendingPathComponent(fileName)
        if let existing = try? String(contentsOf: url, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
            !existing.isEmpty, try await store.principal(tokenHash: Secrets.tokenHash(existing)) != nil
        {
            return existing
        }
        let token = Secrets.randomToken()
        try await store.createToken(
            name: "admin (first start)",
            tokenHash: Secrets.tokenHash(token),
            scopes: [.admin],
            now: .now
        )
        _ = FileManager.default.createFile(
            atPath: url.path,
            contents: Data((token + "\n").utf8),
            attributes: [.posixPermissions: 0o600]
        )
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
        return token
    }
}

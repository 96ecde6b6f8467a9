import Foundation

/// Where the store lives, as `--store` names it: `sqlite:PATH` (a file; relative paths from the
/// working directory). The default is `sqlite:<data-dir>/edgesync.sqlite`.
public struct StoreLocation: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case sqlite(path: String)
    }

    public var kind: Kind

    public init(_ kind: Kind) {
        self.kind = kind
    }

    /// Parses a store URL; the error names what is wrong with it.
    public init(parsing url: String) throws(StoreError) {
        guard let colon = url.firstIndex(of: ":") else {
            throw StoreError(.badRequest, "--store \(url): expected sqlite:PATH")
        }
        let scheme = url[..<colon].lowercased()
        let rest = String(url[url.index(after: colon)...])
        switch scheme {
        case "sqlite":
            let path = rest.hasPrefix("//") ? String(rest.dropFirst(2)) : rest
            guard !path.isEmpty else { throw StoreError(.badRequest, "--store \(url): the SQLite file path is empty") }
            kind = .sqlite(path: path)
        default:
            throw StoreError(.badRequest, "--store \(url): unknown store kind \(scheme); expected sqlite:PATH")
        }
    }

    /// The default store of a data directory.
    public static func `default`(dataDirectory: String) -> StoreLocation {
        StoreLocation(.sqlite(path: URL(fileURLWithPath: dataDirectory).appendingPathComponent("edgesync.sqlite").path))
    }

    public var description: String {
        switch kind {
        case .sqlite(let path): "sqlite:\(path)"
        }
    }

    /// Opens the store (creating and migrating it as needed).
    public func open() throws -> any GovernanceStore {
        switch kind {
        case .sqlite(let path): SQLGovernanceStore(backend: try SQLiteBackend(path: path))
        }
    }
}

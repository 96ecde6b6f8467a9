import Foundation

/// Loads the shared test vectors from `../shared/spec/vectors/` relative to the project root
/// (overridable with `EDGESYNC_SPEC_DIR` for checkouts laid out differently).
enum SpecVectors {
    static var directory: URL {
        if let override = ProcessInfo.processInfo.environment["EDGESYNC_SPEC_DIR"] {
            return URL(fileURLWithPath: override).appendingPathComponent("vectors")
        }
        let projectRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return projectRoot.deletingLastPathComponent().appendingPathComponent("shared/spec/vectors")
    }

    struct Fingerprint: Decodable {
        var tableName: String
        var ddl: String
        var canonicalJSON: String
        var schemaHash: String

        enum CodingKeys: String, CodingKey {
            case tableName = "table_name"
            case ddl
            case canonicalJSON = "canonical_json"
            case schemaHash = "schema_hash"
        }
    }

    struct Payload: Decodable {
        var name: String
        var topicSuffix: String
        var body: String
        var expect: String

        enum CodingKeys: String, CodingKey {
            case name
            case topicSuffix = "topic_suffix"
            case body, expect
        }
    }

    static func load<T: Decodable>(_ file: String, as type: T.Type) throws -> T {
        let data = try Data(contentsOf: directory.appendingPathComponent(file))
        return try JSONDecoder().decode(T.self, from: data)
    }

    static func fingerprints() throws -> [Fingerprint] { try load("fingerprints.json", as: [Fingerprint].self) }
    static func payloads() throws -> [Payload] { try load("payloads.json", as: [Payload].self) }
}

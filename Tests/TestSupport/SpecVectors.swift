import Foundation

/// The contract's test vectors, `docs/spec/vectors/` in this repository. Every test reads them
/// through here; a missing or malformed file is a thrown `SpecVectors.Failure` that names it, so
/// the test fails with the file's path instead of crashing.
public enum SpecVectors {
    /// `docs/spec/vectors/`, found from this file's place in the package.
    public static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // TestSupport
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root
        .appendingPathComponent("docs/spec/vectors", isDirectory: true)

    /// A DDL statement with the canonical fingerprint JSON and hash it must produce.
    public struct Fingerprint: Decodable, Sendable {
        public var tableName: String
        public var ddl: String
        public var canonicalJSON: String
        public var schemaHash: String

        enum CodingKeys: String, CodingKey {
            case tableName = "table_name"
            case ddl
            case canonicalJSON = "canonical_json"
            case schemaHash = "schema_hash"
        }
    }

    /// A wire body, the topic it is published to, and the verdict it must get (`accept` or a
    /// rejection code).
    public struct Payload: Decodable, Sendable {
        public var name: String
        public var topicSuffix: String
        /// The JSON document (absent when only its encoded bytes are published).
        public var body: String?
        /// The exact bytes published, in hex, when they are not `body` itself (a zstd frame).
        public var bodyHex: String?
        public var expect: String

        /// What is published.
        public var bytes: [UInt8] {
            guard let hex = bodyHex else { return Array((body ?? "").utf8) }
            let digits = Array(hex.utf8)
            return stride(from: 0, to: digits.count - 1, by: 2).compactMap {
                UInt8(String(decoding: digits[$0...$0 + 1], as: UTF8.self), radix: 16)
            }
        }

        enum CodingKeys: String, CodingKey {
            case name
            case topicSuffix = "topic_suffix"
            case bodyHex = "body_hex"
            case body, expect
        }
    }

    /// Why a vector could not be used; the message names the file (and the vector).
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func fingerprints() throws -> [Fingerprint] {
        try load("fingerprints.json", as: [Fingerprint].self)
    }

    public static func payloads() throws -> [Payload] {
        try load("payloads.json", as: [Payload].self)
    }

    /// The body of the payload vector called `name`.
    public static func body(_ name: String) throws -> String {
        guard let vector = try payloads().first(where: { $0.name == name }) else {
            throw Failure(description: "\(path("payloads.json")): no vector named \"\(name)\"")
        }
        return vector.body ?? ""
    }

    public static func load<T: Decodable>(_ file: String, as type: T.Type) throws -> T {
        let data: Data
        do {
            data = try Data(contentsOf: directory.appendingPathComponent(file))
        } catch {
            throw Failure(description: "\(path(file)): cannot be read (\(error.localizedDescription))")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw Failure(description: "\(path(file)): not a valid vector file (\(error))")
        }
    }

    static func path(_ file: String) -> String {
        directory.appendingPathComponent(file).path
    }
}

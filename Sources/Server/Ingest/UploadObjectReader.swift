import EdgeSyncModels
import Foundation

/// Reads an upload object (zstd JSONL, one row per line) row by row in bounded memory: the file
/// a few KiB at a time, zstd's window, one line. The decompressed size is bounded, and so is the
/// expansion, so that a small object crafted to expand to gigabytes (a zstd bomb) is refused
/// within milliseconds instead of filling memory.
struct UploadObjectReader {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Decompressed bytes an object may hold: the upload limit.
    static let maximumBytes = UploadDesk.maximumBytes
    /// Decompressed bytes per compressed byte, past the first MiB: JSONL rows compress 5 to 50
    /// times; a bomb expands thousands of times.
    static let maximumExpansion = 1_000
    /// A line is one row: at most an uplink payload.
    static let maximumLineBytes = WireLimits.maximumPayloadBytes
    /// Compressed bytes read at a time; with the expansion bound, what one read may produce.
    static let readSize = 4_096

    let path: String

    /// Calls `body` with every row in order; throws the first problem (with its line).
    func forEachRow(_ body: (JSONObject) async throws -> Void) async throws {
        guard let file = FileHandle(forReadingAtPath: path) else { throw Failure(description: "the object is gone") }
        defer { try? file.close() }
        let decompressor = try ZstdDecompressor()
        var line: [UInt8] = []
        var lineNumber = 0
        var (consumed, produced) = (0, 0)
        while let data = try file.read(upToCount: Self.readSize), !data.isEmpty {
            consumed += data.count
            var complete: [[UInt8]] = []
            try decompressor.feed(Array(data)) { piece in
                produced += piece.count
                guard produced <= Self.maximumBytes else {
                    throw Failure(description: "more than \(Self.maximumBytes) bytes once decompressed")
                }
                guard produced <= max(1 << 20, consumed * Self.maximumExpansion) else {
                    throw Failure(
                        description:
                            "expands more than \(Self.maximumExpansion) times (\(produced) bytes from \(consumed))"
                    )
                }
                var rest = piece[...]
                while let newline = rest.firstIndex(of: UInt8(ascii: "\n")) {
                    line += rest[..<newline]
                    complete.append(line)
                    line = []
                    rest = rest[rest.index(after: newline)...]
                }
                line += rest
                guard line.count <= Self.maximumLineBytes else {
                    throw Failure(
                        description:
                            "line \(lineNumber + complete.count + 1) is longer than \(Self.maximumLineBytes) bytes"
                    )
                }
            }
            for bytes in complete {
                lineNumber += 1
                try await row(bytes, lineNumber, body)
            }
        }
        try decompressor.finish()
        if !line.isEmpty { try await row(line, lineNumber + 1, body) }
    }

    private func row(_ bytes: [UInt8], _ number: Int, _ body: (JSONObject) async throws -> Void) async throws {
        guard bytes.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") }) else { return }
        guard let object = try? JSONParser().parse(bytes).objectValue else {
            throw Failure(description: "line \(number) is not a JSON object")
        }
        try await body(object)
    }
}

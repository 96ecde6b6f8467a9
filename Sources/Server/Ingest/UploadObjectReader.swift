import EdgeSyncModels
import Foundation

/// Reads an upload object (zstd JSONL, one row per line) row by row in bounded memory: the object
/// a few KiB at a time, zstd's window, one line. The decompressed size is bounded, and so is the
/// expansion, so that a small object crafted to expand to gigabytes (a zstd bomb) is refused
/// within milliseconds instead of filling memory.
struct UploadObjectReader {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Decompressed bytes per compressed byte, past the first MiB: JSONL rows compress 5 to 50
    /// times; a bomb expands thousands of times.
    static let maximumExpansion = 1_000
    /// A line is one row: at most an uplink payload.
    static let maximumLineBytes = WireLimits.maximumPayloadBytes
    /// Compressed bytes read at a time; with the expansion bound, what one read may produce.
    static let readSize = 4_096

    let objects: any UploadObjects
    let id: String
    /// Decompressed bytes the object may hold: the upload limit.
    let maximumBytes: Int

    /// Calls `body` with every row in order; throws the first problem (with its line).
    func forEachRow(_ body: (JSONObject) async throws -> Void) async throws {
        let decompressor = try ZstdDecompressor()
        var line: [UInt8] = []
        var lineNumber = 0
        var (consumed, produced) = (0, 0)
        try await objects.read(id) { piece in
            // Fed a few KiB at a time, whatever size the pieces come in: the expansion bound is
            // checked against what was consumed so far.
            for start in stride(from: 0, to: piece.count, by: Self.readSize) {
                let data = piece[start..<min(start + Self.readSize, piece.count)]
                consumed += data.count
                var complete: [[UInt8]] = []
                try decompressor.feed(Array(data)) { output in
                    produced += output.count
                    guard produced <= maximumBytes else {
                        throw Failure(description: "more than \(maximumBytes) bytes once decompressed")
                    }
                    guard produced <= max(1 << 20, consumed * Self.maximumExpansion) else {
                        throw Failure(
                            description:
                                "expands more than \(Self.maximumExpansion) times (\(produced) bytes from \(consumed))"
                        )
                    }
                    var rest = output[...]
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

import CZstd

/// zstd frames for upload objects (docs/spec/wire-protocol.md, "Ingest requests"): zstd-compressed JSONL.
public enum Zstd {
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
    }

    /// One frame with the content size recorded (level 3, zstd's default).
    public static func compress(_ input: [UInt8], level: Int32 = 3) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
        let written = output.withUnsafeMutableBytes { out in
            input.withUnsafeBytes { source in
                ZSTD_compress(out.baseAddress, out.count, source.baseAddress, source.count, level)
            }
        }
        guard ZSTD_isError(written) == 0 else {
            throw Failure(description: String(cString: ZSTD_getErrorName(written)))
        }
        output.removeLast(output.count - written)
        return output
    }

    /// Decompresses every frame of `input`, refusing to produce more than `limit` bytes.
    public static func decompress(_ input: [UInt8], limit: Int) throws -> [UInt8] {
        guard let stream = ZSTD_createDStream() else { throw Failure(description: "out of memory") }
        defer { ZSTD_freeDStream(stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
        var last = 0
        try input.withUnsafeBytes { source in
            var inBuffer = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: 0)
            var produced = 0
            // Until all input is read and the last call did not fill the output (nothing buffered).
            repeat {
                produced = try chunk.withUnsafeMutableBytes { out -> Int in
                    var outBuffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                    last = ZSTD_decompressStream(stream, &outBuffer, &inBuffer)
                    guard ZSTD_isError(last) == 0 else {
                        throw Failure(description: String(cString: ZSTD_getErrorName(last)))
                    }
                    return outBuffer.pos
                }
                output += chunk[0..<produced]
                guard output.count <= limit else {
                    throw Failure(description: "more than \(limit) bytes once decompressed")
                }
            } while inBuffer.pos < source.count || produced == chunk.count
        }
        guard last == 0 else { throw Failure(description: "truncated zstd frame") }
        return output
    }
}

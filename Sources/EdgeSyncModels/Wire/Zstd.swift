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
}

/// A zstd frame produced piece by piece, so an object of any size is compressed in bounded
/// memory: each call returns the compressed bytes ready so far.
public final class ZstdCompressor {
    private let stream: OpaquePointer
    private var chunk: [UInt8]

    public init(level: Int32 = 3) throws {
        guard let stream = ZSTD_createCStream() else { throw Zstd.Failure(description: "out of memory") }
        self.stream = stream
        chunk = [UInt8](repeating: 0, count: ZSTD_CStreamOutSize())
        let result = ZSTD_initCStream(stream, level)
        guard ZSTD_isError(result) == 0 else {
            ZSTD_freeCStream(stream)
            throw Zstd.Failure(description: String(cString: ZSTD_getErrorName(result)))
        }
    }

    deinit {
        ZSTD_freeCStream(stream)
    }

    /// Compresses `input`; returns what the frame has ready (possibly nothing).
    public func compress(_ input: [UInt8]) throws -> [UInt8] {
        try input.withUnsafeBytes { source in
            var inBuffer = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: 0)
            var output: [UInt8] = []
            while inBuffer.pos < inBuffer.size {
                output += try drain { ZSTD_compressStream(stream, &$0, &inBuffer) }.bytes
            }
            return output
        }
    }

    /// Ends the frame; returns its last bytes.
    public func finish() throws -> [UInt8] {
        var output: [UInt8] = []
        var remaining = 1
        while remaining > 0 {
            let (bytes, left) = try drain { ZSTD_endStream(stream, &$0) }
            output += bytes
            remaining = left
        }
        return output
    }

    private func drain(_ step: (inout ZSTD_outBuffer) -> Int) throws -> (bytes: [UInt8], result: Int) {
        try chunk.withUnsafeMutableBytes { out in
            var outBuffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
            let result = step(&outBuffer)
            guard ZSTD_isError(result) == 0 else {
                throw Zstd.Failure(description: String(cString: ZSTD_getErrorName(result)))
            }
            return (Array(out[0..<outBuffer.pos]), result)
        }
    }
}

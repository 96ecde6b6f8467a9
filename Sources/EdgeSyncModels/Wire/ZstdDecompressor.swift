import CZstd

/// A zstd stream decompressed piece by piece: memory stays at zstd's window and one output
/// chunk whatever the input expands to, so an upload object is never held whole.
public final class ZstdDecompressor {
    private let stream: OpaquePointer
    private var chunk: [UInt8]
    private var last = 0

    public init() throws {
        guard let stream = ZSTD_createDStream() else { throw Zstd.Failure(description: "out of memory") }
        self.stream = stream
        chunk = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
    }

    deinit { ZSTD_freeDStream(stream) }

    /// Decompresses `input` (any slice of the stream), handing each piece of output to `sink` as
    /// it is produced; a sink that throws stops the decompression.
    public func feed(_ input: [UInt8], _ sink: (ArraySlice<UInt8>) throws -> Void) throws {
        try input.withUnsafeBytes { source in
            var inBuffer = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: 0)
            var filled = 0
            // Until all input is read and the last call did not fill the output (nothing buffered).
            repeat {
                filled = try chunk.withUnsafeMutableBytes { out -> Int in
                    var outBuffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                    last = ZSTD_decompressStream(stream, &outBuffer, &inBuffer)
                    guard ZSTD_isError(last) == 0 else {
                        throw Zstd.Failure(description: String(cString: ZSTD_getErrorName(last)))
                    }
                    return outBuffer.pos
                }
                if filled > 0 { try sink(chunk[0..<filled]) }
            } while inBuffer.pos < source.count || filled == chunk.count
        }
    }

    /// Throws when the stream ended inside a frame.
    public func finish() throws {
        guard last == 0 else { throw Zstd.Failure(description: "truncated zstd frame") }
    }
}

/// (ext) How an uplink payload is encoded (docs/spec/wire-protocol.md, "Compressed payloads"): the
/// JSON document as is, or one zstd frame holding it. A device compresses only on a connection
/// whose `server_hello` control listed `zstd`; the server tells the two apart by zstd's magic number,
/// which no JSON document starts with.
public enum ContentEncoding: String, Sendable, Hashable, Codable, CaseIterable {
    case zstd

    /// The first four bytes of a zstd frame.
    static let zstdMagic: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]

    /// Payloads smaller than this are sent as they are: compressing them saves next to nothing.
    public static let minimumCompressedBytes = 512

    public static func isZstdFrame(_ buffer: UnsafeRawBufferPointer) -> Bool {
        buffer.count >= 4 && zip(buffer.prefix(4), zstdMagic).allSatisfy { $0 == $1 }
    }

    /// What a device publishes for `document` when the server accepts `encodings`: the zstd frame
    /// when it is the smaller, else the document.
    public static func payload(_ document: [UInt8], accepted encodings: Set<ContentEncoding>) -> [UInt8] {
        guard encodings.contains(.zstd), document.count >= minimumCompressedBytes,
            let compressed = try? Zstd.compress(document), compressed.count < document.count
        else { return document }
        return compressed
    }

    /// The document inside a zstd payload, decompressed up to `limit` bytes: a larger document is
    /// `payload_too_large` (found without holding more than the limit), a broken frame
    /// `invalid_content_encoding`.
    static func decompressZstd(_ buffer: UnsafeRawBufferPointer, limit: Int) throws(PayloadRejection) -> [UInt8] {
        var document: [UInt8] = []
        do {
            let decompressor = try ZstdDecompressor()
            try decompressor.feed(Array(buffer)) { piece in
                guard document.count + piece.count <= limit else { throw Oversized() }
                document += piece
            }
            try decompressor.finish()
        } catch is Oversized {
            throw PayloadRejection(
                code: .payloadTooLarge,
                message: "the zstd payload holds more than \(limit) bytes once decompressed"
            )
        } catch {
            throw PayloadRejection(code: .invalidContentEncoding, message: "not a whole zstd frame: \(error)")
        }
        return document
    }

    private struct Oversized: Error {}
}

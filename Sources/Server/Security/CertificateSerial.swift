/// A certificate serial number as the device record keeps it: the issuing library's text
/// (`1a:f:…`, one hex number per byte) read back as bytes, so it compares with the serial a TLS
/// peer presents whatever leading zero bytes either side writes.
struct CertificateSerial: Hashable, Sendable {
    let bytes: [UInt8]

    init(bytes: some Sequence<UInt8>) {
        self.bytes = Array(bytes.drop { $0 == 0 })
    }

    /// Nil when the text is not a serial.
    init?(stored text: String) {
        var bytes: [UInt8] = []
        for part in text.split(separator: ":", omittingEmptySubsequences: false) {
            guard let byte = UInt8(part, radix: 16) else { return nil }
            bytes.append(byte)
        }
        self.init(bytes: bytes)
    }
}

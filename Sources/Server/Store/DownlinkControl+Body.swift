import EdgeSyncModels
import Foundation

extension DownlinkControl {
    /// The bytes published on the device's control topic: JSON with sorted keys.
    func body() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }

    /// What the server says on every connection before any other control: the payload encodings
    /// it accepts (docs/spec/wire-protocol.md, "Compressed payloads").
    static func serverHello() -> DownlinkControl {
        DownlinkControl(
            controlID: UUIDv7Generator.shared.next().description,
            payload: .serverHello(contentEncodings: ContentEncoding.allCases.map(\.rawValue))
        )
    }
}

import EdgeSyncModels
import NIOCore
import Testing

@testable import Server

/// Which publishes the ingress prepares ahead on another task (`MQTTIngress.preparesAhead`) and
/// which it handles whole in their turn.
@Suite("Ingress handoff")
struct IngressHandoffTests {
    @Test func aSmallPlainPayloadIsHandledInItsTurn() {
        let sample = ByteBuffer(string: #"{"batch_id":"x","rows":[{"ts":"2026-12-07T00:00:00Z"}]}"#)
        #expect(!MQTTIngress.preparesAhead(sample))
        #expect(!MQTTIngress.preparesAhead(ByteBuffer(repeating: 0x20, count: MQTTIngress.preparedInTurnBytes)))
    }

    @Test func aLargerPayloadIsPreparedAhead() {
        #expect(MQTTIngress.preparesAhead(ByteBuffer(repeating: 0x20, count: MQTTIngress.preparedInTurnBytes + 1)))
    }

    /// However small the frame, the document it holds may be large.
    @Test func aCompressedPayloadIsPreparedAhead() throws {
        let frame = try Zstd.compress(Array(String(repeating: " ", count: 100_000).utf8))
        #expect(frame.count < 100)
        #expect(MQTTIngress.preparesAhead(ByteBuffer(bytes: frame)))
    }
}

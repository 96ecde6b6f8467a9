import EdgeSyncModels
import TestSupport
import Testing

/// The validator faces whatever bytes a device sends: it must answer every input with a verdict,
/// never trap, and never recurse without bound.
@Suite("Validator robustness")
struct ValidatorRobustnessTests {
    typealias F = PayloadFixtures

    @Test func everyTruncationOfValidBodiesIsRejected() async {
        await Turns.cpuBound.run {
            for (object, topic) in [
                (F.rowBatch(), UplinkTopic.rowBatch), (F.telemetryBatch(), .telemetryBatch),
                (F.observation(), .schemaObservation),
            ] {
                let bytes = F.bytes(object)
                for length in 0..<bytes.count {
                    await yieldNow(round: length)
                    #expect(F.verdict(Array(bytes[0..<length]), topic) != "ok")
                }
            }
        }
    }

    @Test func deepNestingIsRejectedWithoutExhaustingTheStack() {
        for opener in ["[", "{\"a\":"] {
            let body = "{\"rows\":" + String(repeating: opener, count: 100_000)
            #expect(F.verdict(Array(body.utf8), .rowBatch) == "invalid_json")
        }
        let balanced =
            "{\"format_version\":1,\"control_id\":\"c\",\"x\":" + String(repeating: "[", count: 129)
            + String(repeating: "]", count: 129) + "}"
        #expect(F.verdict(Array(balanced.utf8), .ingestAck) == "invalid_json")
        let allowed =
            "{\"format_version\":1,\"control_id\":\"c\",\"x\":" + String(repeating: "[", count: 100)
            + String(repeating: "]", count: 100) + "}"
        #expect(F.verdict(Array(allowed.utf8), .ingestAck) == "ok")
    }

    @Test func hugeInputsAreRejectedBySize() {
        let huge = [UInt8](repeating: UInt8(ascii: "["), count: 4 << 20)
        #expect(F.verdict(huge, .telemetryBatch) == "payload_too_large")
    }

    @Test func randomBytesNeverCrash() async {
        await Turns.cpuBound.run {
            var generator = SplitMix(state: 42)
            let topics = UplinkTopic.allCases
            var accepted: [[UInt8]] = []
            for round in 0..<20_000 {
                await yieldNow(round: round)
                let length = Int.random(in: 0...256, using: &generator)
                let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                if F.verdict(bytes, topics[round % topics.count]) == "ok" { accepted.append(bytes) }
            }
            #expect(accepted.isEmpty, "random bytes accepted: \(accepted.prefix(3))")
        }
    }

    /// Flips, inserts and deletes bytes of valid bodies: every result is a verdict.
    @Test func mutatedBodiesNeverCrash() async {
        await Turns.cpuBound.run { await Self.mutateBodies() }
    }

    static func mutateBodies() async {
        var generator = SplitMix(state: 7)
        let seeds: [([UInt8], UplinkTopic)] = [
            (F.bytes(F.rowBatch()), .rowBatch), (F.bytes(F.telemetryBatch()), .telemetryBatch),
            (F.bytes(F.observation()), .schemaObservation), (F.bytes(F.ack()), .ingestAck),
            (F.bytes(F.finalize()), .ingestRequest),
        ]
        let interesting = Array("{}[]\",:\\-0123456789eE.tfnNIu ".utf8) + [0x00, 0x7F, 0xC3, 0xFF]
        var verdicts: Set<String> = []
        for round in 0..<20_000 {
            await yieldNow(round: round)
            var (bytes, topic) = seeds[round % seeds.count]
            for _ in 0..<Int.random(in: 1...4, using: &generator) where !bytes.isEmpty {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                let byte = interesting.randomElement(using: &generator)!
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[position] = byte
                case 1: bytes.insert(byte, at: position)
                default: bytes.remove(at: position)
                }
            }
            verdicts.insert(F.verdict(bytes, topic))
        }
        // Mutation reaches well past the parser into the field checks.
        #expect(verdicts.count > 8)
    }
}

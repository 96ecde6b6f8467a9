import MQTT
import NIOCore
import TestSupport
import Testing

/// 100,000 random and mutated packets through the parser: every input ends in a packet, "need
/// more data" or a protocol error; never a trap, never an allocation sized by a length prefix.
@Suite("MQTT decoder fuzz")
struct MQTTDecoderFuzzTests {
    /// Parses packets until the buffer is exhausted, incomplete or invalid.
    static func drain(_ bytes: [UInt8], maximumPacketSize: Int) -> (packets: Int, error: Bool) {
        var buffer = ByteBuffer(bytes: bytes)
        var packets = 0
        do {
            while let _ = try MQTTPacketParser.parse(&buffer, maximumPacketSize: maximumPacketSize) { packets += 1 }
            return (packets, false)
        } catch {
            return (packets, true)
        }
    }

    @Test func randomAndMutatedPacketsNeverCrash() async throws {
        try await Turns.cpuBound.run { try await Self.fuzz() }
    }

    static func fuzz() async throws {
        var generator = SplitMix(state: 2026)
        var seeds: [[UInt8]] = []
        for (packet, _) in MQTTCodecTests.fixtures {
            var out = ByteBuffer()
            try MQTTPacketSerializer.write(packet, into: &out)
            seeds.append(Array(out.readableBytesView))
        }
        var decoded = 0
        var errors = 0
        for round in 0..<100_000 {
            await yieldNow(round: round)
            var bytes: [UInt8]
            if round % 4 == 0 {
                bytes = (0..<Int.random(in: 0...64, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
            } else {
                bytes = seeds[round % seeds.count]
                for _ in 0..<Int.random(in: 1...3, using: &generator) where !bytes.isEmpty {
                    let position = Int.random(in: 0..<bytes.count, using: &generator)
                    switch Int.random(in: 0..<3, using: &generator) {
                    case 0: bytes[position] = UInt8.random(in: 0...255, using: &generator)
                    case 1: bytes.insert(UInt8.random(in: 0...255, using: &generator), at: position)
                    default: bytes.remove(at: position)
                    }
                }
            }
            let result = Self.drain(bytes, maximumPacketSize: 4_096)
            decoded += result.packets
            if result.error { errors += 1 }
        }
        // The mutations exercise both outcomes heavily.
        #expect(decoded > 5_000)
        #expect(errors > 10_000)
    }

    @Test func hugeLengthPrefixesAreRefusedWithoutAllocating() {
        // Every remaining-length value up to the 4-byte maximum, declared with no body following:
        // the parser either waits (within the limit) or refuses; it never reserves the body.
        for declared in [1_048_572, 1_048_573, 10_000_000, 268_435_455] {
            var header = ByteBuffer()
            header.writeInteger(UInt8(0x30))
            var value = declared
            repeat {
                var byte = UInt8(value & 0x7F)
                value >>= 7
                if value > 0 { byte |= 0x80 }
                header.writeInteger(byte)
            } while value > 0
            let packetSize = header.readableBytes + declared
            let capacityBefore = header.capacity
            let outcome = Result { try MQTTPacketParser.parse(&header, maximumPacketSize: 1_048_576) }
            #expect(header.capacity == capacityBefore)
            switch outcome {
            case .success(let packet): #expect(packet == nil && packetSize <= 1_048_576)
            case .failure(let error):
                #expect(error as? MQTTProtocolError == .packetTooLarge(size: packetSize, limit: 1_048_576))
            }
        }
    }
}

import EdgeSyncModels
import Synchronization
import TestSupport
import Testing

@Suite("UUIDv7")
struct UUIDv7Tests {
    @Test func parsesAndValidates() throws {
        let id = try #require(UUIDv7("01936F2E-5C3A-7B21-9C4D-2F1E8A7B6C5D"))
        #expect(id.description == "01936f2e-5c3a-7b21-9c4d-2f1e8a7b6c5d")
        #expect(id.unixMilliseconds == 0x0193_6F2E_5C3A)
        for bad in [
            "3b241101-e2bb-4255-8caf-4136c566a962", "01936f2e-5c3a-7b21-cc4d-2f1e8a7b6c5d",
            "01936f2e-5c3a-7b21-9c4d-2f1e8a7b6c5", "01936f2e5c3a-7b21-9c4d-2f1e8a7b6c5d0",
            "01936f2e-5c3a-7b21-9c4d-2f1e8a7b6c5g",
            "", "{01936f2e-5c3a-7b21-9c4d-2f1e8a7b6c5d}",
        ] {
            #expect(UUIDv7(bad) == nil, "\(bad)")
        }
    }

    @Test func generatedIdsAreValidAndStrictlyIncreasing() async {
        await Turns.cpuBound.run {
            let generator = UUIDv7Generator()
            var previous = generator.next()
            for round in 0..<100_000 {
                await yieldNow(round: round)
                let next = generator.next()
                guard UUIDv7(next.description) == next else {
                    Issue.record("\(next) does not parse back to itself")
                    return
                }
                guard previous < next else {
                    Issue.record("\(previous) then \(next)")
                    return
                }
                previous = next
            }
        }
    }

    @Test func ordersWithinOneMillisecondAndWhenTheClockStepsBack() {
        let now = Mutex<UInt64>(1_700_000_000_000)
        let generator = UUIDv7Generator(clock: { now.withLock { $0 } })
        var ids = (0..<1_000).map { _ in generator.next() }
        now.withLock { $0 -= 5_000 }
        ids += (0..<1_000).map { _ in generator.next() }
        now.withLock { $0 += 10_000 }
        ids += (0..<10).map { _ in generator.next() }
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 })
        #expect(ids[0].unixMilliseconds == 1_700_000_000_000)
        #expect(ids.last!.unixMilliseconds == 1_700_000_005_000)
    }

    @Test func largestSeedsStillLeaveRoomForABurst() {
        // The seed's top counter bit is cleared, so even the largest seed leaves 2^41 increments
        // within one millisecond before the timestamp has to move.
        let generator = UUIDv7Generator(clock: { 42 }, random: { .max })
        let ids = (0..<10_000).map { _ in generator.next() }
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 })
        #expect(ids.allSatisfy { $0.unixMilliseconds == 42 })
    }

    @Test func concurrentCallersGetDistinctOrderedIds() async {
        let generator = UUIDv7Generator()
        let batches = await withTaskGroup(of: [UUIDv7].self) { group in
            for _ in 0..<8 { group.addTask { (0..<2_000).map { _ in generator.next() } } }
            var all: [[UUIDv7]] = []
            for await batch in group { all.append(batch) }
            return all
        }
        let all = batches.flatMap { $0 }
        #expect(Set(all).count == all.count)
        #expect(batches.allSatisfy { batch in zip(batch, batch.dropFirst()).allSatisfy { $0 < $1 } })
    }
}

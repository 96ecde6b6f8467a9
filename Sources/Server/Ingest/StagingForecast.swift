import EdgeSyncModels
import Synchronization

/// Which devices' tables last had a row batch go live into a mirror, so that
/// `IngestPipeline.prepare` leaves out encoding each row for staging where that encoding would
/// most likely be thrown away (6 % of the samples of an approved lineage's ingest, profiled).
/// A guess, never a rule: rows of a batch forecast live that stage after all are encoded in the
/// store's transaction (`PlannedRow.staged`), and a table not seen yet is forecast to stage, as
/// a new one under review does.
final class StagingForecast: Sendable {
    private struct Key: Hashable {
        var deviceID: String
        var table: String
    }

    /// Tables remembered as live at most; past it the memory starts over, which costs a batch per
    /// table an encoding it did not need.
    let capacity: Int
    private let live = Mutex(Set<Key>())

    init(capacity: Int = 100_000) {
        self.capacity = capacity
    }

    func expectsStaging(deviceID: String, table: String) -> Bool {
        let key = Key(deviceID: deviceID, table: table)
        return !live.withLock { $0.contains(key) }
    }

    /// Learns from a committed row batch: live when it was materialized whole (any row staged
    /// makes it `staged`); a duplicate or a rejection says nothing new.
    func record(deviceID: String, table: String, _ outcome: BatchOutcome?) {
        let key = Key(deviceID: deviceID, table: table)
        switch outcome {
        case .materialized?:
            live.withLock { live in
                if live.count >= capacity, !live.contains(key) { live.removeAll(keepingCapacity: true) }
                live.insert(key)
            }
        case .staged?:
            _ = live.withLock { $0.remove(key) }
        case .duplicate?, .rejected?, nil:
            break
        }
    }
}

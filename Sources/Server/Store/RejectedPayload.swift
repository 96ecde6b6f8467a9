import EdgeSyncModels

/// A rejected batch as it was received: its ledger entry and its exact bytes.
public struct RejectedPayload: Sendable, Hashable {
    public var entry: BatchLedgerEntry
    public var payload: [UInt8]

    public init(entry: BatchLedgerEntry, payload: [UInt8]) {
        self.entry = entry
        self.payload = payload
    }
}

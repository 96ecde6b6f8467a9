import EdgeSyncModels

/// An upload granted to a device.
public struct UploadRecord: Sendable, Hashable {
    public enum State: String, Sendable {
        case granted
        /// A PUT is writing its object.
        case receiving
        case received
        case finalized
    }

    public var id: String
    public var deviceID: String
    public var sourceTable: String
    public var segmentKind: SegmentKind
    public var expiresAt: Int64
    public var state: State
}

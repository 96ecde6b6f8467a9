/// What the upload flow allows a device (`serve --upload-…`; the operator guide's *Limits*).
public struct UploadLimits: Sendable, Hashable {
    /// How long a grant's URL is good. Default 15 minutes.
    public var grantLifetime: Duration = .seconds(15 * 60)
    /// An object's bytes, as sent and decompressed alike. Default 1 GiB.
    public var maximumObjectBytes = 1 << 30
    /// Grants a device holds that are neither finalized nor expired. Default 4.
    public var maximumOpenGrantsPerDevice = 4
    /// Bytes of a device's objects received and not yet finalized. Default 2 GiB.
    public var maximumOpenBytesPerDevice = 2 << 30
    /// How long an object not finalized is kept once its grant expired. Default 1 hour.
    public var keepReceivedFor: Duration = .seconds(3_600)

    public init() {}

    /// Each limit with its `serve` flag, in the flag's unit (seconds for durations).
    var flags: [(flag: String, value: Int64)] {
        [
            ("--upload-grant-lifetime", grantLifetime.components.seconds),
            ("--upload-max-bytes", Int64(maximumObjectBytes)),
            ("--upload-grants-per-device", Int64(maximumOpenGrantsPerDevice)),
            ("--upload-pending-bytes-per-device", Int64(maximumOpenBytesPerDevice)),
            ("--upload-keep-unfinalized", keepReceivedFor.components.seconds),
        ]
    }
}

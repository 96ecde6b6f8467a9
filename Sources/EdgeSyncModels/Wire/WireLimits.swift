/// Protocol constants (docs/spec/wire-protocol.md, "Limits"). Shared so the agent, the listener and the
/// validator can never disagree.
public enum WireLimits {
    /// Current and highest supported `format_version`.
    public static let formatVersion: Int64 = 1
    /// Largest accepted uplink payload: 512 KiB.
    public static let maximumPayloadBytes = 524_288
    /// The listener's packet limit (1 MiB): payloads between the two limits still reach the
    /// validator and are recorded as `payload_too_large`.
    public static let maximumPacketBytes = 1_048_576
    public static let maximumRowsPerBatch = 4_096
    /// `source_table` is at most 128 bytes.
    public static let maximumSourceTableBytes = 128
    /// Telemetry `row_id` is at most 128 characters.
    public static let maximumRowIDLength = 128
    /// Uploaded objects (bootstrap snapshot, spill) are at most 1 GiB.
    public static let maximumUploadBytes: Int64 = 1 << 30
    /// Upload grants live 15 minutes.
    public static let uploadGrantSeconds: Int64 = 15 * 60
    /// Write-back requests carry 1–500 rows.
    public static let maximumStateWriteRows = 500
}

/// The `capture_strategy` of each batch kind.
public enum CaptureStrategy: String, Sendable, Hashable, Codable {
    case rowBatch = "sqlite_row_batch_v1"
    case telemetryBatch = "sqlite_telemetry_batch_v1"
}

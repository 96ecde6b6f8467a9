/// An advisory fingerprint (`sync/schema/observe`): warms the registry; classification still
/// happens on the next data batch.
public struct SchemaObservation: Sendable, Hashable, Codable {
    public var formatVersion: Int64
    public var sourceTable: String
    public var schemaHash: String
    public var observedAt: Timestamp
    /// (ext) the fingerprint document itself.
    public var schemaColumns: SchemaFingerprint?

    public init(sourceTable: String, schemaHash: String, observedAt: Timestamp, schemaColumns: SchemaFingerprint? = nil)
    {
        self.formatVersion = WireLimits.formatVersion
        self.sourceTable = sourceTable
        self.schemaHash = schemaHash
        self.observedAt = observedAt
        self.schemaColumns = schemaColumns
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case sourceTable = "source_table"
        case schemaHash = "schema_hash"
        case observedAt = "observed_at"
        case schemaColumns = "schema_columns"
    }

    /// The message as a JSON value (for `CanonicalJSON`).
    public var jsonValue: JSONValue {
        var object: JSONObject = [
            "format_version": .integer(formatVersion), "source_table": .string(sourceTable),
            "schema_hash": .string(schemaHash), "observed_at": .string(observedAt.description),
        ]
        if let schemaColumns { object["schema_columns"] = schemaColumns.jsonValue }
        return .object(object)
    }
}

/// A device's acknowledgement of a downlink control (`sync/ingest/ack`).
public struct IngestAck: Sendable, Hashable, Codable {
    public var formatVersion: Int64
    public var controlID: String

    public init(controlID: String) {
        self.formatVersion = WireLimits.formatVersion
        self.controlID = controlID
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case controlID = "control_id"
    }
}

/// An uplink payload that passed every stateless check, typed by its topic.
public enum ValidatedPayload: Sendable, Hashable {
    case rowBatch(RowBatch)
    case telemetryBatch(TelemetryBatch)
    case schemaObservation(SchemaObservation)
    case ingestAck(IngestAck)
    case ingestRequest(IngestRequest)

    public var topic: UplinkTopic {
        switch self {
        case .rowBatch: .rowBatch
        case .telemetryBatch: .telemetryBatch
        case .schemaObservation: .schemaObservation
        case .ingestAck: .ingestAck
        case .ingestRequest: .ingestRequest
        }
    }
}

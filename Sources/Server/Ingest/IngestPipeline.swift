import EdgeSyncModels

/// MQTT message → validation → plan → one store transaction. `prepare` (decoding, validation,
/// hashing, encoding) needs the message alone, so it runs on the caller's task before the store's
/// single writer is involved, and the listener runs it for a connection's next messages while an
/// earlier one commits; `commit` then applies the plan. The listener PUBACKs after `commit`
/// returns: the transaction committed.
public struct IngestPipeline: Sendable {
    let store: any GovernanceStore
    let validator = PayloadValidator()
    let forecast = StagingForecast()
    /// The upload flow; without it `sync/ingest/request` is validated and answered with nothing.
    let uploads: UploadDesk?

    public init(store: any GovernanceStore, uploads: UploadDesk? = nil) {
        self.store = store
        self.uploads = uploads
    }

    /// A message after its first phase: what the store is to do with it.
    public enum Prepared: Sendable {
        case plan(IngestPlan)
        case acknowledgement(device: DeviceIdentity, controlID: String, receivedAt: Timestamp)
        case uploadRequest(IngestRequest, device: DeviceIdentity, bytes: Int, receivedAt: Timestamp)
    }

    public func ingest(
        device: DeviceIdentity,
        topic: UplinkTopic,
        payload: [UInt8],
        receivedAt: Timestamp
    ) async throws -> IngestResult {
        try await commit(prepare(device: device, topic: topic, payload: payload, receivedAt: receivedAt))
    }

    /// The first phase: the message alone, no store.
    public func prepare(device: DeviceIdentity, topic: UplinkTopic, payload: [UInt8], receivedAt: Timestamp) -> Prepared
    {
        let content: IngestPlan.Content
        switch validator.validate(payload, topic: topic) {
        case .failure(let rejection):
            content = .rejection(rejection)
        case .success(.rowBatch(let batch)):
            let staging = forecast.expectsStaging(deviceID: device.id, table: batch.sourceTable)
            content = .rowBatch(Self.plan(batch, encodingRows: staging))
        case .success(.telemetryBatch(let batch)):
            content = .telemetryBatch(Self.plan(batch))
        case .success(.schemaObservation(let observation)):
            content = .observation(
                sourceTable: observation.sourceTable,
                schemaHash: observation.schemaHash,
                columnsJSON: observation.schemaColumns.map(Self.columnsJSON)
            )
        case .success(.ingestAck(let ack)):
            return .acknowledgement(device: device, controlID: ack.controlID, receivedAt: receivedAt)
        case .success(.ingestRequest(let request)):
            return .uploadRequest(request, device: device, bytes: payload.count, receivedAt: receivedAt)
        }
        return .plan(
            IngestPlan(
                device: device,
                receivedAt: receivedAt,
                topic: topic,
                bytes: payload.count,
                content: content,
                payload: payload
            )
        )
    }

    /// The second phase: one store transaction (or the upload flow).
    public func commit(_ prepared: Prepared) async throws -> IngestResult {
        switch prepared {
        case .plan(let plan):
            let result = try await store.commit(plan)
            if case .rowBatch(let batch) = plan.content {
                forecast.record(deviceID: plan.device.id, table: batch.sourceTable, result.outcome)
            }
            return result
        case .acknowledgement(let device, let controlID, let receivedAt):
            _ = try await store.acknowledgeControl(deviceID: device.id, controlID: controlID, at: receivedAt)
            return IngestResult(outcome: nil)
        case .uploadRequest(let request, let device, let bytes, let receivedAt):
            guard let uploads else { return IngestResult(outcome: nil) }
            return try await UploadIngest(pipeline: self, desk: uploads).handle(
                request,
                device: device,
                bytes: bytes,
                receivedAt: receivedAt
            )
        }
    }

    /// The batch's rows hashed and, when `encodingRows` (the batch is expected to stage), encoded
    /// as they would be staged.
    static func plan(_ batch: RowBatch, encodingRows: Bool) -> PlannedRowBatch {
        let rows = batch.rows.map { change -> PlannedRow in
            let pkJSON = PrimaryKeyHash.canonicalJSON(of: change.pk)
            return PlannedRow(
                commitSeq: change.commitSeq,
                op: change.op,
                pkHash: SHA256Hex.digest(pkJSON),
                pkJSON: pkJSON,
                rowJSON: encodingRows ? change.row.map(PlannedRow.stagedJSON) : nil,
                pk: change.pk,
                row: change.row
            )
        }
        return PlannedRowBatch(
            batchID: batch.batchID.description,
            journalEpoch: batch.journalEpoch.description,
            sourceTable: batch.sourceTable,
            schema: schema(
                hash: batch.schemaHash,
                columns: batch.schemaColumns,
                pk: batch.rows.first?.pk,
                row: batch.rows.first { $0.row != nil }?.row
            ),
            rows: rows,
            snapshotThrough: batch.snapshotThrough
        )
    }

    static func plan(_ batch: TelemetryBatch) -> PlannedTelemetryBatch {
        let samples = batch.rows.map { row -> PlannedSample in
            let fields = CanonicalJSON.string(of: .object(row.fields), style: .typed)
            return PlannedSample(
                ts: row.ts,
                rowID: row.rowID,
                fieldsJSON: fields,
                bytes: fields.utf8.count + (row.rowID?.utf8.count ?? 0),
                fields: row.fields
            )
        }
        return PlannedTelemetryBatch(
            batchID: batch.batchID.description,
            batchSeq: batch.batchSeq,
            journalEpoch: batch.journalEpoch?.description ?? "",
            sourceTable: batch.sourceTable,
            schema: schema(
                hash: batch.schemaHash,
                columns: batch.schemaColumns,
                pk: nil,
                row: batch.rows.first?.fields
            ),
            samples: samples
        )
    }

    /// The declared schema; without `schema_columns`, columns inferred from the first row stand in
    /// where a description is needed (a registry entry), never for classification.
    static func schema(hash: String, columns: SchemaFingerprint?, pk: JSONObject?, row: JSONObject?) -> PlannedSchema {
        PlannedSchema(
            hash: hash,
            columns: columns?.columns,
            columnsJSON: columns.map(columnsJSON),
            inferred: columns == nil ? SchemaInference.columns(pk: pk, row: row) : nil
        )
    }

    static func columnsJSON(_ fingerprint: SchemaFingerprint) -> String {
        CanonicalJSON.string(of: fingerprint.jsonValue["columns"] ?? .array([]))
    }
}

extension JSONValue {
    subscript(key: String) -> JSONValue? { objectValue?[key] }
}

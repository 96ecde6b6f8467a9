import EdgeSyncModels

/// MQTT message → validation → plan → one store transaction. Decoding, hashing and encoding run
/// on the caller's task before the store's single writer is involved, so devices only serialize
/// on the commit itself. The listener PUBACKs after `ingest` returns: the transaction committed.
public struct IngestPipeline: Sendable {
    let store: any GovernanceStore
    let validator = PayloadValidator()
    /// The upload flow; without it `sync/ingest/request` is validated and answered with nothing.
    let uploads: UploadDesk?

    public init(store: any GovernanceStore, uploads: UploadDesk? = nil) {
        self.store = store
        self.uploads = uploads
    }

    public func ingest(
        device: DeviceIdentity,
        topic: UplinkTopic,
        payload: [UInt8],
        receivedAt: Timestamp
    ) async throws -> IngestResult {
        let plan: IngestPlan.Content
        switch validator.validate(payload, topic: topic) {
        case .failure(let rejection):
            plan = .rejection(rejection)
        case .success(.rowBatch(let batch)):
            plan = .rowBatch(Self.plan(batch))
        case .success(.telemetryBatch(let batch)):
            plan = .telemetryBatch(Self.plan(batch))
        case .success(.schemaObservation(let observation)):
            plan = .observation(
                sourceTable: observation.sourceTable,
                schemaHash: observation.schemaHash,
                columnsJSON: observation.schemaColumns.map(Self.columnsJSON)
            )
        case .success(.ingestAck(let ack)):
            _ = try await store.acknowledgeControl(deviceID: device.id, controlID: ack.controlID, at: receivedAt)
            return IngestResult(outcome: nil)
        case .success(.ingestRequest(let request)):
            guard let uploads else { return IngestResult(outcome: nil) }
            return try await UploadIngest(pipeline: self, desk: uploads).handle(
                request,
                device: device,
                bytes: payload.count,
                receivedAt: receivedAt
            )
        }
        return try await store.commit(
            IngestPlan(
                device: device,
                receivedAt: receivedAt,
                topic: topic,
                bytes: payload.count,
                content: plan,
                payload: payload
            )
        )
    }

    static func plan(_ batch: RowBatch) -> PlannedRowBatch {
        let rows = batch.rows.map { change -> PlannedRow in
            let pkJSON = PrimaryKeyHash.canonicalJSON(of: change.pk)
            // Typed, not canonical: a REAL `40.0` staged stays a REAL when it is served or replayed.
            let rowJSON = change.row.map { CanonicalJSON.string(of: .object($0), style: .typed) }
            return PlannedRow(
                commitSeq: change.commitSeq,
                op: change.op,
                pkHash: SHA256Hex.digest(pkJSON),
                pkJSON: pkJSON,
                rowJSON: rowJSON,
                bytes: pkJSON.utf8.count + (rowJSON?.utf8.count ?? 0),
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

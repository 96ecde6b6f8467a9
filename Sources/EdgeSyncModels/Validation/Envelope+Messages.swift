extension Envelope {
    func schemaObservation() throws(PayloadRejection) -> SchemaObservation {
        let observedAt = try timestamp(object["observed_at"], path: "observed_at")
        var observation = SchemaObservation(
            sourceTable: sourceTable,
            schemaHash: schemaHash,
            observedAt: observedAt,
            schemaColumns: try schemaColumns()
        )
        observation.formatVersion = formatVersion
        return observation
    }

    func ingestAck() throws(PayloadRejection) -> IngestAck {
        guard let controlID = object["control_id"]?.stringValue, !controlID.isEmpty, controlID.utf8.count <= 128 else {
            throw invalid("control_id", expected: "a non-empty string of at most 128 bytes")
        }
        var ack = IngestAck(controlID: controlID)
        ack.formatVersion = formatVersion
        return ack
    }

    func ingestRequest() throws(PayloadRejection) -> IngestRequest {
        guard let kindText = object["request_kind"]?.stringValue, let kind = IngestRequest.Kind(rawValue: kindText)
        else {
            throw invalid("request_kind", expected: "\"url_request\" or \"finalize\"")
        }
        guard let segmentText = object["segment_kind"]?.stringValue, let segment = SegmentKind(rawValue: segmentText)
        else {
            throw invalid("segment_kind", expected: "\"bootstrap_snapshot\" or \"payload_spill\"")
        }
        switch kind {
        case .urlRequest:
            return .urlRequest(sourceTable: sourceTable, segmentKind: segment)
        case .finalize:
            let batchID = try uuidv7(field: "batch_id", code: .invalidBatchID)
            guard object["journal_epoch"] != nil else {
                return .finalize(sourceTable: sourceTable, batchID: batchID, segmentKind: segment)
            }
            guard let hash = object["schema_hash"]?.stringValue, Hex.isLowercaseHex(hash, count: 64) else {
                throw reject(.invalidSchemaHash, "schema_hash must be 64 lowercase hex characters")
            }
            var withHash = self
            withHash.schemaHash = hash
            var header = UploadHeader(
                journalEpoch: try uuidv7(field: "journal_epoch", code: .invalidJournalEpoch),
                schemaHash: hash,
                schemaColumns: try withHash.schemaColumns()
            )
            if let value = object["snapshot_through_commit_seq"], !value.isNull {
                guard let through = value.integerValue, through >= 0 else {
                    throw invalid("snapshot_through_commit_seq", expected: "an integer ≥ 0")
                }
                header.snapshotThrough = through
            }
            return .finalize(sourceTable: sourceTable, batchID: batchID, segmentKind: segment, header: header)
        }
    }
}

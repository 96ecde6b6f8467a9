/// Turns the raw bytes of an uplink message into a typed payload or a rejection, running the
/// checks of docs/spec/wire-protocol.md ("Validation order and rejection codes") in exactly that order:
/// the first failing check decides the code.
///
/// Stateless and pure: checks that need a lineage's history (`duplicate_batch_seq`,
/// `stale_batch_seq`) belong to the ingest pipeline. It never traps on any input: size is
/// checked first, nesting depth is bounded, and every field is type-checked before use.
public struct PayloadValidator: Sendable {
    public var parser: JSONParser

    public init(parser: JSONParser = JSONParser()) {
        self.parser = parser
    }

    public func validate(_ bytes: [UInt8], topic: UplinkTopic) -> Result<ValidatedPayload, PayloadRejection> {
        bytes.withUnsafeBytes { validate(buffer: $0, topic: topic) }
    }

    public func validate(
        buffer: UnsafeRawBufferPointer,
        topic: UplinkTopic
    ) -> Result<ValidatedPayload, PayloadRejection> {
        do throws(PayloadRejection) {
            return .success(try check(buffer, topic: topic))
        } catch {
            return .failure(error)
        }
    }

    private func check(
        _ buffer: UnsafeRawBufferPointer,
        topic: UplinkTopic,
        encoded: Bool = true
    ) throws(PayloadRejection) -> ValidatedPayload {
        // 1. size
        guard buffer.count <= WireLimits.maximumPayloadBytes else {
            throw PayloadRejection(
                code: .payloadTooLarge,
                message: "payload is \(buffer.count) bytes; the limit is \(WireLimits.maximumPayloadBytes)"
            )
        }
        // 0 (ext). A zstd payload is checked as the document it holds (once: a frame inside is
        // not a JSON document, and fails as one).
        if encoded, ContentEncoding.isZstdFrame(buffer) {
            let document = try ContentEncoding.decompressZstd(buffer, limit: WireLimits.maximumPayloadBytes)
            let inner: Result<ValidatedPayload, PayloadRejection> = document.withUnsafeBytes { buffer in
                do throws(PayloadRejection) {
                    return .success(try check(buffer, topic: topic, encoded: false))
                } catch {
                    return .failure(error)
                }
            }
            return try inner.get()
        }
        // 2 and 3. A document that parses cannot hold a bare NaN/Infinity token (the parser rejects
        // them), so the scan for check 2 only runs on bodies that failed to parse: same verdicts,
        // no second pass over valid payloads.
        let parsed: JSONValue
        do throws(JSONParseError) {
            parsed = try parser.parse(buffer)
        } catch {
            if let offset = NonFiniteNumberScanner.firstToken(in: buffer) {
                throw PayloadRejection(
                    code: .invalidNumberEncoding,
                    message: "bare NaN/Infinity token at byte \(offset)"
                )
            }
            let code: RejectionCode = error.reason == .nonFiniteNumber ? .invalidNumberEncoding : .invalidJSON
            throw PayloadRejection(code: code, message: "malformed JSON: \(error)")
        }
        guard let object = parsed.objectValue else {
            throw PayloadRejection(
                code: .invalidJSON,
                message: "the payload is a JSON \(parsed.typeName), not an object"
            )
        }
        var envelope = Envelope(object: object)
        try envelope.checkCommonHeader(topic: topic)
        switch topic {
        case .rowBatch: return .rowBatch(try envelope.rowBatch())
        case .telemetryBatch: return .telemetryBatch(try envelope.telemetryBatch())
        case .schemaObservation: return .schemaObservation(try envelope.schemaObservation())
        case .ingestAck: return .ingestAck(try envelope.ingestAck())
        case .ingestRequest: return .ingestRequest(try envelope.ingestRequest())
        }
    }
}

/// The parsed top-level object plus the fields the common checks have already accepted.
struct Envelope {
    static let tenantFields = ["device_id", "org_id", "project_id", "fleet_id"]

    let object: JSONObject
    var formatVersion: Int64 = WireLimits.formatVersion
    var batchID: UUIDv7?
    var sourceTable = ""
    var schemaHash = ""

    init(object: JSONObject) {
        self.object = object
    }

    /// A rejection that carries the batch's identity as far as it can be read.
    func reject(_ code: RejectionCode, _ message: String) -> PayloadRejection {
        PayloadRejection(
            code: code,
            message: message,
            batchID: object["batch_id"]?.stringValue,
            sourceTable: object["source_table"]?.stringValue
        )
    }

    func invalid(_ path: String, expected: String) -> PayloadRejection {
        reject(.invalidPayload, FieldError(path: path, expected: expected).description)
    }

    /// Member names become column names and binding keys: a NUL inside one would let two names
    /// collide where a C string ends, so none may carry it.
    func checkNames(_ object: JSONObject, path: String) throws(PayloadRejection) {
        for member in object.members where member.key.utf8.contains(0) {
            throw invalid(path, expected: "an object whose member names hold no NUL")
        }
    }

    /// Checks 4–11, each only for the kinds whose payload has that field.
    mutating func checkCommonHeader(topic: UplinkTopic) throws(PayloadRejection) {
        // 4. tenant fields
        let present = Self.tenantFields.filter { object[$0] != nil }
        guard present.isEmpty else {
            throw reject(
                .envelopeUnstrippedTenantFields,
                "remove \(present.joined(separator: ", ")): the server derives tenancy from the connection"
            )
        }
        // 5, 6. format version
        guard let version = object["format_version"]?.integerValue, version >= 1 else {
            throw reject(.invalidFormatVersion, "format_version must be an integer ≥ 1")
        }
        guard version <= WireLimits.formatVersion else {
            throw reject(
                .unsupportedFormatVersion,
                "format_version \(version) is newer than \(WireLimits.formatVersion)"
            )
        }
        formatVersion = version
        let isBatch = topic == .rowBatch || topic == .telemetryBatch
        // 7. capture strategy
        if isBatch {
            let expected: CaptureStrategy = topic == .rowBatch ? .rowBatch : .telemetryBatch
            guard object["capture_strategy"]?.stringValue == expected.rawValue else {
                throw reject(
                    .invalidCaptureStrategy,
                    "capture_strategy must be \"\(expected.rawValue)\" on \(topic.rawValue)"
                )
            }
        }
        // 8. batch id
        if isBatch {
            batchID = try uuidv7(field: "batch_id", code: .invalidBatchID)
        }
        // 9. source table
        if topic != .ingestAck {
            sourceTable = try checkedSourceTable()
        }
        // 10. schema hash
        if isBatch || topic == .schemaObservation {
            guard let hash = object["schema_hash"]?.stringValue, Hex.isLowercaseHex(hash, count: 64) else {
                throw reject(.invalidSchemaHash, "schema_hash must be 64 lowercase hex characters")
            }
            schemaHash = hash
        }
        // 11. row limit
        if isBatch, let rows = object["rows"]?.arrayValue, rows.count > WireLimits.maximumRowsPerBatch {
            throw reject(.batchTooManyRows, "\(rows.count) rows; the limit is \(WireLimits.maximumRowsPerBatch)")
        }
    }

    func uuidv7(field: String, code: RejectionCode) throws(PayloadRejection) -> UUIDv7 {
        guard let text = object[field]?.stringValue, let id = UUIDv7(text) else {
            throw reject(code, "\(field) must be a UUIDv7 (version 7, variant 10)")
        }
        return id
    }

    func checkedSourceTable() throws(PayloadRejection) -> String {
        guard let table = object["source_table"]?.stringValue, !table.isEmpty,
            table.utf8.count <= WireLimits.maximumSourceTableBytes, !table.utf8.contains(0)
        else {
            throw reject(
                .invalidSourceTable,
                "source_table must be a non-empty string of at most 128 bytes without NUL"
            )
        }
        return table
    }

    /// The optional `schema_columns` document, checked against `schema_hash`.
    func schemaColumns() throws(PayloadRejection) -> SchemaFingerprint? {
        guard let value = object["schema_columns"], !value.isNull else { return nil }
        let fingerprint: SchemaFingerprint
        do throws(FieldError) {
            fingerprint = try SchemaFingerprint(json: value)
        } catch {
            throw reject(.invalidPayload, error.description)
        }
        let computed = fingerprint.schemaHash
        guard computed == schemaHash else {
            throw reject(.schemaHashMismatch, "schema_columns hashes to \(computed), not \(schemaHash)")
        }
        return fingerprint
    }

    func rowObjects() throws(PayloadRejection) -> [JSONObject] {
        guard let rows = object["rows"]?.arrayValue, !rows.isEmpty else {
            throw invalid("rows", expected: "a non-empty array")
        }
        var objects: [JSONObject] = []
        objects.reserveCapacity(rows.count)
        for (index, row) in rows.enumerated() {
            guard let rowObject = row.objectValue else { throw invalid("rows[\(index)]", expected: "an object") }
            objects.append(rowObject)
        }
        return objects
    }
}

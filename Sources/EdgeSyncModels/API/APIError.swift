/// Stable error codes of the HTTP API, each with its HTTP status.
public enum APIErrorCode: String, Sendable, Hashable, Codable, CaseIterable {
    case badRequest = "bad_request"
    case unauthorized
    case forbidden
    case notFound = "not_found"
    case conflict
    case actionVersionConflict = "action_version_conflict"
    case notClaimer = "not_claimer"
    case invalidTransition = "invalid_transition"
    case payloadTooLarge = "payload_too_large"
    case unsupportedMediaType = "unsupported_media_type"
    case methodNotAllowed = "method_not_allowed"
    case validationFailed = "validation_failed"
    case unknownColumn = "unknown_column"
    case missingColumnAction = "missing_column_action"
    case pkMustBeMirrored = "pk_must_be_mirrored"
    case duplicateMirrorColumn = "duplicate_mirror_column"
    case invalidMirrorColumnName = "invalid_mirror_column_name"
    case dataPointRequired = "data_point_required"
    case autoCreateNotAllowed = "auto_create_not_allowed"
    /// A rows table without a primary key cannot be approved: declare a key on the device, or
    /// capture the table with the telemetry strategy.
    case tableWithoutPrimaryKey = "table_without_primary_key"
    case idempotencyKeyRequired = "idempotency_key_required"
    case idempotencyKeyReused = "idempotency_key_reused"
    case edgeStateNotCloudAuthoritative = "edge_state_not_cloud_authoritative"
    case edgeStateMirrorNotProvisioned = "edge_state_mirror_not_provisioned"
    /// A batch ledger entry whose payload is not kept: it was not rejected, or it was evicted.
    case payloadNotKept = "payload_not_kept"
    case rateLimited = "rate_limited"
    case unavailable
    case `internal`

    public var httpStatus: Int {
        switch self {
        case .badRequest, .idempotencyKeyRequired: 400
        case .unauthorized: 401
        case .forbidden, .notClaimer, .edgeStateNotCloudAuthoritative: 403
        case .notFound, .edgeStateMirrorNotProvisioned, .payloadNotKept: 404
        case .methodNotAllowed: 405
        case .conflict, .actionVersionConflict, .invalidTransition: 409
        case .payloadTooLarge: 413
        case .unsupportedMediaType: 415
        case .validationFailed, .unknownColumn, .missingColumnAction, .pkMustBeMirrored, .duplicateMirrorColumn,
            .invalidMirrorColumnName, .dataPointRequired, .autoCreateNotAllowed, .tableWithoutPrimaryKey,
            .idempotencyKeyReused:
            422
        case .rateLimited: 429
        case .unavailable: 503
        case .internal: 500
        }
    }
}

/// An API failure: what the server sends as `{"error": {...}}` and what clients decode.
public struct APIError: Error, Codable, Sendable, Hashable, CustomStringConvertible {
    public var code: APIErrorCode
    public var message: String
    public var details: JSONObject?

    public init(_ code: APIErrorCode, _ message: String, details: JSONObject? = nil) {
        self.code = code
        self.message = message
        self.details = details
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

/// `{"error": {"code": …, "message": …, "details": …}}`.
public struct APIErrorEnvelope: Codable, Sendable, Hashable {
    public var error: APIError

    public init(_ error: APIError) { self.error = error }
}

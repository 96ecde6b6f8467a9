import EdgeSyncModels

/// A refusal by the rules or the store: a stable code (the API's), a message for the operator,
/// details for a client. Rules and stores throw only this; the HTTP layer gives it its status.
public struct StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: APIErrorCode
    public var message: String
    public var details: JSONObject?

    public init(_ code: APIErrorCode, _ message: String, details: JSONObject? = nil) {
        self.code = code
        self.message = message
        self.details = details
    }

    /// A validation failure reported by the shared models (the column-action validator).
    public init(_ error: APIError) {
        self.init(error.code, error.message, details: error.details)
    }

    public var description: String { "\(code.rawValue): \(message)" }

    public static func notFound(_ message: String) -> StoreError { StoreError(.notFound, message) }

    public static func duplicateDeviceName(_ name: String) -> StoreError {
        StoreError(.conflict, "duplicate_device_name: a device named \(name) exists")
    }

    public static func duplicateDataPoint(_ name: String) -> StoreError {
        StoreError(.conflict, "duplicate_data_point: the device already has a data point named \(name)")
    }

    public static func unknownFleet(_ id: String) -> StoreError {
        StoreError(
            .validationFailed,
            "unknown_fleet: no fleet \(id) in this project",
            details: ["field": .string("fleet_id")]
        )
    }

    public static func unknownDevice(_ id: String) -> StoreError {
        StoreError(
            .validationFailed,
            "unknown_device: no device \(id) in this project",
            details: ["field": .string("device_id")]
        )
    }

    /// How the refusal reads in the API.
    public var apiError: APIError { APIError(code, message, details: details) }
}

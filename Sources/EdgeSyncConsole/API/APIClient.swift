import CCurl
import EdgeSyncModels
import Foundation

/// Why an API call failed, as the console shows it: the API's own code and message, or what
/// went wrong on the way.
enum ClientError: Error, Sendable, Hashable, CustomStringConvertible {
    case api(status: Int, APIError)
    case transport(String)
    case decoding(String)

    var code: String {
        switch self {
        case .api(_, let error): error.code.rawValue
        case .transport: "unreachable"
        case .decoding: "bad_response"
        }
    }

    var description: String {
        switch self {
        case .api(_, let error): "\(error.code.rawValue): \(error.message)"
        case .transport(let message): "server unreachable: \(message)"
        case .decoding(let message): "unexpected response: \(message)"
        }
    }
}

/// The console's HTTP client (docs/spec/tui.md: "it talks only to the HTTP API, through libcurl"). Each
/// call runs on its own thread, so the UI thread never blocks on the network; the libcurl handles
/// (and their open connections) are shared by the copies of a client.
struct APIClient: Sendable {
    let baseURL: String
    let token: String
    /// Seconds before a call gives up. Default 10.
    var timeout = 10
    let handles = CurlHandlePool()

    /// `/core/api/v1/projects/{id}`-relative paths start with `/projects/...`.
    func get<T: Decodable & Sendable>(_ path: String, as type: T.Type) async throws -> T {
        try await call("GET", path, body: nil, as: type)
    }

    /// A mutation with a fresh `Idempotency-Key`.
    func send<T: Decodable & Sendable>(
        _ method: String,
        _ path: String,
        body: [UInt8]?,
        as type: T.Type
    ) async throws -> T {
        try await call(method, path, body: body, as: type)
    }

    /// A POST that changes nothing (an approval's preview): no `Idempotency-Key`.
    func query<T: Decodable & Sendable>(_ path: String, body: [UInt8], as type: T.Type) async throws -> T {
        try await call("POST", path, body: body, as: type, idempotent: false)
    }

    /// A GET whose body is not JSON (a kept rejected payload): its bytes as served.
    func bytes(_ path: String) async throws -> [UInt8] {
        let (status, bytes) = try await perform(
            "GET",
            baseURL + "/core/api/v1" + path,
            body: nil,
            idempotencyKey: false
        )
        guard (200..<300).contains(status) else { throw Self.failure(status: status, bytes) }
        return bytes
    }

    private static func failure(status: Int, _ bytes: [UInt8]) -> ClientError {
        if let envelope = try? JSONDecoder().decode(APIErrorEnvelope.self, from: Data(bytes)) {
            return .api(status: status, envelope.error)
        }
        return .api(status: status, APIError(.internal, "HTTP \(status)"))
    }

    private func call<T: Decodable & Sendable>(
        _ method: String,
        _ path: String,
        body: [UInt8]?,
        as type: T.Type,
        idempotent: Bool = true
    ) async throws -> T {
        let (status, bytes) = try await perform(
            method,
            baseURL + "/core/api/v1" + path,
            body: body,
            idempotencyKey: method != "GET" && idempotent
        )
        let data = Data(bytes)
        guard (200..<300).contains(status) else { throw Self.failure(status: status, bytes) }
        // 204 No Content decodes as an empty object (`EmptyResponse`).
        do { return try JSONDecoder().decode(T.self, from: bytes.isEmpty ? Data("{}".utf8) : data) } catch {
            throw ClientError.decoding("\(error)")
        }
    }

    private func perform(
        _ method: String,
        _ url: String,
        body: [UInt8]?,
        idempotencyKey: Bool
    ) async throws -> (Int, [UInt8]) {
        let headers =
            ["Authorization: Bearer \(token)", "Content-Type: application/json", "Accept: application/json", "Expect:"]
            + (idempotencyKey ? ["Idempotency-Key: \(UUID().uuidString)"] : [])
        let (timeout, handles) = (timeout, handles)
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Result {
                        try handles.withHandle { handle in
                            try Self.transfer(handle, method, url, headers: headers, body: body ?? [], timeout: timeout)
                        }
                    }
                )
            }
        }
    }

    static let emptyBody: StaticString = ""

    /// The response body, collected by libcurl's write callback.
    final class Sink {
        var bytes: [UInt8] = []
    }

    private static func transfer(
        _ handle: UnsafeMutableRawPointer,
        _ method: String,
        _ url: String,
        headers: [String],
        body: [UInt8],
        timeout: Int
    ) throws -> (Int, [UInt8]) {
        var list: UnsafeMutablePointer<curl_slist>?
        for header in headers { list = curl_slist_append(list, header) }
        defer { curl_slist_free_all(list) }
        let sink = Sink()
        let result = withExtendedLifetime(sink) { () -> CURLcode in
            body.withUnsafeBytes { bytes in
                _ = edge_curl_set_string(handle, CURLOPT_URL, url)
                _ = edge_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, method)
                if method != "GET" {
                    // An empty body still needs a pointer: NULL would make libcurl read stdin.
                    _ = edge_curl_set_pointer(
                        handle,
                        CURLOPT_POSTFIELDS,
                        UnsafeMutableRawPointer(
                            mutating: bytes.baseAddress ?? UnsafeRawPointer(Self.emptyBody.utf8Start)
                        )
                    )
                    _ = edge_curl_set_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bytes.count))
                }
                _ = edge_curl_set_pointer(handle, CURLOPT_HTTPHEADER, list.map { UnsafeMutableRawPointer($0) })
                _ = edge_curl_set_long(handle, CURLOPT_TIMEOUT, timeout)
                _ = edge_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT, min(timeout, 5))
                _ = edge_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
                _ = edge_curl_set_pointer(handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(sink).toOpaque())
                _ = edge_curl_set_write_function(handle) { data, size, count, context in
                    guard let data, let context else { return 0 }
                    Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue().bytes.append(
                        contentsOf: UnsafeRawBufferPointer(start: data, count: size * count)
                    )
                    return size * count
                }
                return curl_easy_perform(handle)
            }
        }
        guard result == CURLE_OK else { throw ClientError.transport(String(cString: curl_easy_strerror(result))) }
        return (edge_curl_response_code(handle), sink.bytes)
    }
}

/// For calls answered with 204 No Content.
struct EmptyResponse: Codable, Sendable {}

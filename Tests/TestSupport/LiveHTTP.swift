import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A small HTTP client over a real socket (URLSession), for tests of a running server.
public struct LiveHTTP: Sendable {
    public let baseURL: String
    public let token: String

    public init(baseURL: String, token: String) {
        self.baseURL = baseURL
        self.token = token
    }

    public struct Failure: Error, CustomStringConvertible {
        public var status: Int
        public var body: String
        public var description: String { "HTTP \(status): \(body)" }
    }

    public func request(_ method: String, _ path: String, body: String? = nil) async throws -> (Int, [UInt8]) {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = method
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if method != "GET" { request.setValue(UUID().uuidString, forHTTPHeaderField: "Idempotency-Key") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, Array(data))
    }

    public func get<T: Decodable>(_ path: String, as: T.Type) async throws -> T {
        let (status, body) = try await request("GET", path)
        guard status == 200 else { throw Failure(status: status, body: String(decoding: body, as: UTF8.self)) }
        return try JSONDecoder().decode(T.self, from: Data(body))
    }

    public func post<T: Decodable>(_ path: String, body: String, as: T.Type) async throws -> T {
        let (status, response) = try await request("POST", path, body: body)
        guard (200..<300).contains(status) else {
            throw Failure(status: status, body: String(decoding: response, as: UTF8.self))
        }
        return try JSONDecoder().decode(T.self, from: Data(response))
    }

    /// Polls `path` until `condition` holds (the server commits asynchronously to the test).
    public func waitFor<T: Decodable>(
        _ path: String,
        as type: T.Type,
        timeout: Duration = hangDeadline,
        _ condition: (T) -> Bool
    ) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        while true {
            let value = try await get(path, as: type)
            if condition(value) || ContinuousClock.now > deadline { return value }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

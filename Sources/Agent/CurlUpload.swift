import CCurl
import Foundation

/// The upload PUT through libcurl, on its own thread (a transfer blocks while it runs).
enum CurlUpload {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// PUTs `body` to `url`; returns the HTTP status.
    static func put(_ body: [UInt8], to url: String, contentType: String, timeoutSeconds: Int = 600) async throws -> Int
    {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Result {
                        try perform(body, url: url, contentType: contentType, timeoutSeconds: timeoutSeconds)
                    }
                )
            }
        }
    }

    private static func perform(_ body: [UInt8], url: String, contentType: String, timeoutSeconds: Int) throws -> Int {
        guard let handle = curl_easy_init() else { throw Failure(description: "curl_easy_init failed") }
        defer { curl_easy_cleanup(handle) }
        var headers: UnsafeMutablePointer<curl_slist>? = curl_slist_append(nil, "Content-Type: \(contentType)")
        headers = curl_slist_append(headers, "Expect:")
        defer { curl_slist_free_all(headers) }
        return try body.withUnsafeBytes { bytes -> Int in
            _ = edge_curl_set_string(handle, CURLOPT_URL, url)
            _ = edge_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, "PUT")
            _ = edge_curl_set_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress))
            _ = edge_curl_set_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bytes.count))
            _ = edge_curl_set_pointer(handle, CURLOPT_HTTPHEADER, headers.map { UnsafeMutableRawPointer($0) })
            _ = edge_curl_set_long(handle, CURLOPT_TIMEOUT, timeoutSeconds)
            _ = edge_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
            // The receipt is not needed: the status says it all.
            _ = edge_curl_set_write_function(handle) { _, size, count, _ in size * count }
            let result = curl_easy_perform(handle)
            guard result == CURLE_OK else {
                throw Failure(description: "PUT failed: \(String(cString: curl_easy_strerror(result)))")
            }
            return edge_curl_response_code(handle)
        }
    }
}

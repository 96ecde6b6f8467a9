import EdgeSyncModels
import Foundation
import Hummingbird

/// Request bodies of the JSON routes: a body labelled as anything but JSON is a 415, never
/// parsed as JSON anyway. A body without a Content-Type is read as JSON (scripts often omit it).
public struct APIRequestDecoder: RequestDecoder {
    public func decode<T: Decodable>(
        _ type: T.Type,
        from request: Request,
        context: some RequestContext
    ) async throws
        -> T
    {
        if let contentType = request.headers[.contentType], !Self.isJSON(contentType) {
            throw APIError(
                .unsupportedMediaType,
                "this route takes a JSON body (Content-Type: application/json), not \(contentType)",
                details: ["content_type": .string(contentType)]
            )
        }
        return try await JSONDecoder().decode(type, from: request, context: context)
    }

    /// `application/json`, with parameters (`; charset=utf-8`) and in any case.
    static func isJSON(_ contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first ?? ""
        return mediaType.trimmingCharacters(in: .whitespaces).lowercased() == "application/json"
    }
}

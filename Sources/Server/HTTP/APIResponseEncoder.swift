import EdgeSyncModels
import Hummingbird

/// Writes every API response in the typed JSON form (docs/spec/http-api.md, "Value encoding"):
/// members in declaration order, REAL values always with a fraction or an exponent, BLOBs as
/// `{"$hex": "<uppercase hex>"}`, exactly as the wire carries them.
public struct APIResponseEncoder: ResponseEncoder {
    public init() {}

    public func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response
    {
        let bytes = try JSONValueEncoder().bytes(of: value)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.contentLength] = String(bytes.count)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

import NIOCore
import NIOHTTP1

/// One HTTP connection of `AgentMetricsServer`: `GET`/`HEAD /metrics` gets the latest text, 503
/// before the first one is computed; any other path is a 404 and any other method a 405.
final class AgentMetricsRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let metrics: @Sendable () -> String?
    private var request: HTTPRequestHead?

    init(metrics: @escaping @Sendable () -> String?) {
        self.metrics = metrics
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): request = head
        case .body: break
        case .end:
            guard let request else { return }
            self.request = nil
            respond(to: request, context: context)
        }
    }

    private func respond(to request: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = request.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.uri
        var headers = HTTPHeaders()
        let status: HTTPResponseStatus
        let body: String
        if path != "/metrics" {
            (status, body) = (.notFound, "only /metrics is served here\n")
        } else if request.method != .GET, request.method != .HEAD {
            headers.add(name: "Allow", value: "GET, HEAD")
            (status, body) = (.methodNotAllowed, "GET /metrics\n")
        } else if let text = metrics() {
            headers.add(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
            (status, body) = (.ok, text)
        } else {
            (status, body) = (.serviceUnavailable, "the agent has not computed its metrics yet\n")
        }
        if status != .ok { headers.add(name: "Content-Type", value: "text/plain; charset=utf-8") }
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        let keepAlive = request.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: request.version, status: status, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if request.method != .HEAD {
            context.write(
                wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))),
                promise: nil
            )
        }
        let sent = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            sent.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}

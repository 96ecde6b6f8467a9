import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// `metrics.listen` (docs/spec/agent.md, "Metrics"): `GET /metrics` answers the agent's metrics
/// in Prometheus' text format, as of the last `metrics.interval`, for a Prometheus (or its agent)
/// to scrape. The text is computed by the agent's loop, not per request, so a scrape never waits
/// on the state database.
final class AgentMetricsServer: Sendable {
    private let latest: Latest
    private let channel: any Channel

    /// The bound port (the configured one, or the one picked for port 0).
    var port: Int { channel.localAddress?.port ?? 0 }

    private init(channel: any Channel, latest: Latest) {
        self.channel = channel
        self.latest = latest
    }

    static func start(
        _ address: AgentMetricsAddress,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> AgentMetricsServer {
        let latest = Latest()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(AgentMetricsRequestHandler { latest.text })
                }
            }
            .bind(host: address.host, port: address.port)
            .get()
        return AgentMetricsServer(channel: channel, latest: latest)
    }

    /// The text the next scrapes get.
    func publish(_ text: String) {
        latest.text = text
    }

    func stop() async {
        try? await channel.close()
    }

    /// The text, shared with the request handlers.
    private final class Latest: Sendable {
        private let box = Mutex<String?>(nil)

        var text: String? {
            get { box.withLock { $0 } }
            set { box.withLock { $0 = newValue } }
        }
    }
}

import EdgeSyncModels

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension EdgeAgent {
    /// Computes the metrics when `metrics.interval` has passed (docs/spec/agent.md, "Metrics"):
    /// rewrites the file whole, so the collector never reads half of it, and hands the text to
    /// the HTTP endpoint.
    func writeMetricsIfDue(now: ContinuousClock.Instant = .now) {
        guard configuration.metricsTextfile != nil || metricsServer != nil else { return }
        if let last = lastMetrics, now - last < configuration.metricsInterval { return }
        lastMetrics = now
        let text: String
        do {
            text =
                AgentMetrics(
                    status: try AgentInspection.status(configuration),
                    publishedRows: publishedRows,
                    startedAt: startedAt,
                    now: .now
                ).text
        } catch {
            log(.error, "metrics_failed", "could not read the agent's state for its metrics: \(error)")
            return
        }
        metricsServer?.publish(text)
        guard let path = configuration.metricsTextfile else { return }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            log(.error, "metrics_failed", "could not write the metrics to \(path): \(error)")
        }
    }

    /// Binds `metrics.listen`. A port it cannot have is logged and the agent goes on capturing:
    /// the metrics are for watching the agent, never a reason to stop it.
    func startMetricsServer() async {
        guard let address = configuration.metricsListen else { return }
        do {
            let server = try await AgentMetricsServer.start(address)
            metricsServer = server
            let bound = AgentMetricsAddress(host: address.host, port: server.port)
            log(.info, "metrics_listening", "serving metrics on http://\(bound)/metrics")
        } catch {
            log(.error, "metrics_failed", "could not listen on \(address) for metrics: \(error)")
        }
    }
}

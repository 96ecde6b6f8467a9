import EdgeSyncModels

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension EdgeAgent {
    /// Rewrites the metrics file when `metrics.interval` has passed (docs/spec/agent.md, "Metrics").
    /// The file is replaced whole, so the collector never reads half of it.
    func writeMetricsIfDue(now: ContinuousClock.Instant = .now) {
        guard let path = configuration.metricsTextfile else { return }
        if let last = lastMetrics, now - last < configuration.metricsInterval { return }
        lastMetrics = now
        do {
            let metrics = AgentMetrics(
                status: try AgentInspection.status(configuration),
                publishedRows: publishedRows,
                startedAt: startedAt,
                now: .now
            )
            try Data(metrics.text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            log(.error, "metrics_failed", "could not write the metrics to \(path): \(error)")
        }
    }
}

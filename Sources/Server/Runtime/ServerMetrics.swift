import EdgeSyncModels
import Metrics
import Prometheus

/// The server's metrics through the swift-metrics API, exported in Prometheus text format on
/// `GET /metrics`. Each server owns its registry (no process-wide bootstrap), so several servers
/// in one process (tests, the embedded console) keep separate figures.
public struct ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
        ]
        self.factory = factory
    }

    /// One uplink message through the pipeline.
    func recordIngest(_ result: IngestResult, duration: Duration) {
        if let outcome = result.outcome {
            Counter(label: "edgesync_batches_total", dimensions: [("outcome", outcome.rawValue)], factory: factory)
                .increment()
        }
        if result.stagedRows > 0 {
            Counter(label: "edgesync_rows_staged_total", factory: factory).increment(by: result.stagedRows)
        }
        Timer(label: "edgesync_ingest_duration_seconds", factory: factory).recordNanoseconds(duration.nanoseconds)
    }

    func deviceConnected() {
        Meter(label: "edgesync_connected_devices", factory: factory).increment()
    }

    func deviceDisconnected() {
        Meter(label: "edgesync_connected_devices", factory: factory).decrement()
    }

    /// The Prometheus text exposition.
    public func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}

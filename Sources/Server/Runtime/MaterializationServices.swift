import EdgeSyncModels
import Logging
import ServiceLifecycle

/// Drains replay intents: staged rows of approved, active lineages into their targets, one
/// chunk per transaction so ingest keeps its turn at the single writer.
struct ReplayWorker: Service {
    /// Rows per replay transaction.
    static let chunk = 2_000
    let store: any GovernanceStore
    let courier: any ControlCourier
    let logger: Logger
    /// Pause between polls when there is nothing to replay.
    var idleDelay: Duration = .milliseconds(200)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let progress = try await store.replayStep(limit: Self.chunk, now: .now)
                    await courier.deliver(progress.controls)
                    if progress.replayed > 0 { continue }
                } catch {
                    logger.error("replay step failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: idleDelay)
            }
        }
    }
}

/// Periodic upkeep: the backpressure sweep (resume lineages whose backlog fell below the
/// threshold) and re-sending controls the device has not acknowledged.
struct OutboxMaintenance: Service {
    let store: any GovernanceStore
    let courier: any ControlCourier
    let logger: Logger
    var interval: Duration = .seconds(2)
    /// How long an unacknowledged control waits before it is sent again.
    var resendAfter: Duration = .seconds(30)
    /// Where upload objects live, swept of expired ones.
    var uploads: UploadDesk?

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    await courier.deliver(try await store.sweepBackpressure(now: .now))
                    let cutoff = Timestamp(ns: Timestamp.now.ns - resendAfter.nanoseconds)
                    await courier.deliver(try await store.controlsToResend(sentBefore: cutoff, limit: 500))
                    if let uploads {
                        let expired = try await store.expireUploads(
                            now: .now,
                            keepReceivedFor: UploadDesk.keepReceivedFor
                        )
                        for id in expired { uploads.removeObject(id) }
                    }
                } catch {
                    logger.error("outbox maintenance failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}

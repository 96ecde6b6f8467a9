import EdgeSyncModels
import Logging
import ServiceLifecycle

/// Drains replay intents: staged rows of approved, active lineages into their targets, one
/// chunk per transaction so ingest keeps its turn at the writer. Every replica runs one; each
/// claims a different intent.
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

/// The sweeps, on the one replica that holds them (`ReplicaCoordination.holdsSweeps`): resume
/// lineages whose backlog fell below the threshold, make unacknowledged controls due again for a
/// resend, forget expired uploads and replicas that stopped.
struct SweepService: Service {
    let store: any GovernanceStore
    let courier: any ControlCourier
    let coordination: any ReplicaCoordination
    let logger: Logger
    var interval: Duration = .seconds(2)
    /// How long an unacknowledged control waits before it is sent again.
    var resendAfter: Duration = .seconds(30)
    /// Where upload objects live, swept of expired ones.
    var uploads: UploadDesk?

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if coordination.holdsSweeps {
                    do {
                        try await sweep()
                    } catch {
                        // A shutdown cancels the store's work in flight: that is no failure.
                        if !Task.isCancelled { logger.error("sweep failed", metadata: ["error": "\(error)"]) }
                    }
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    private func sweep() async throws {
        await courier.deliver(try await store.sweepBackpressure(now: .now))
        try await store.markControlsDue(sentBefore: Timestamp(ns: Timestamp.now.ns - resendAfter.nanoseconds))
        if let uploads {
            let keep = uploads.limits.keepReceivedFor.components.seconds
            for id in try await store.expireUploads(now: .now, keepReceivedFor: keep) {
                await uploads.objects.remove(id)
            }
        }
        for replica in try await store.forgetSilentReplicas(silentFor: ReplicaTiming.silence) {
            logger.warning(
                "replica stopped answering: its devices' sessions are forgotten",
                metadata: ["replica": "\(replica)"]
            )
        }
    }
}

/// Every replica's upkeep, each second and whenever another replica wakes it: its heartbeat,
/// letting go of devices that connected to another replica, and delivering the controls of the
/// devices connected here that were decided elsewhere or are due again.
struct ReplicaService: Service {
    let store: any GovernanceStore
    let ingress: MQTTIngress
    let coordination: any ReplicaCoordination
    let logger: Logger

    func run() async throws {
        do {
            try await store.heartbeat(replicaID: ingress.replicaID, starting: true)
        } catch {
            logger.error("replica heartbeat failed", metadata: ["error": "\(error)"])
        }
        let (wakes, waker) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await coordination.run { waker.yield() } }
                group.addTask {
                    while !Task.isCancelled {
                        waker.yield()
                        try? await Task.sleep(for: ReplicaTiming.interval)
                    }
                }
                for await _ in wakes {
                    do {
                        try await store.heartbeat(replicaID: ingress.replicaID, starting: false)
                        try await ingress.releaseTakenOver()
                        try await ingress.deliverDue()
                    } catch {
                        if !Task.isCancelled { logger.error("replica upkeep failed", metadata: ["error": "\(error)"]) }
                    }
                }
                group.cancelAll()
            }
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}

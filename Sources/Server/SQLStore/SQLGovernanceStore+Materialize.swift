import EdgeSyncModels

/// What materializing a run of rows did.
struct MaterializationOutcome {
    /// Change of the target's row count.
    var delta = 0
    var applied = 0
    /// Rows that did not land, each with why, in input order (to be staged).
    var leftOver: [(index: Int, reason: StagingReason)] = []
    var controls: [OutboundControl] = []
}

extension SQLGovernanceStore {
    /// Applies `count` items to a lineage's target. The whole run goes in one savepoint; only
    /// when a row fails is it redone row by row, each in its own savepoint, so one bad row never
    /// undoes the others. Failures are left over for staging and counted by the breaker.
    func materialize(
        _ tx: any SQLTransaction,
        _ lineage: inout LineageState,
        count: Int,
        now: Timestamp,
        apply item: (inout MirrorWriter, Int) throws -> Int
    ) throws -> MaterializationOutcome {
        var outcome = MaterializationOutcome()
        guard let target = try Self.target(tx, lineageID: lineage.id) else {
            outcome.leftOver = (0..<count).map { ($0, .lineagePaused) }
            return outcome
        }
        guard count > 0 else { return outcome }
        var writer = MirrorWriter(
            target: target,
            lineageID: lineage.id,
            deviceID: lineage.deviceID,
            keepTombstones: lineage.stagedRows > 0,
            dialect: dialect
        )
        var breaker = CircuitBreaker(consecutive: lineage.consecutiveFailures)
        do {
            outcome.delta = try tx.savepoint {
                var delta = 0
                for index in 0..<count { delta += try item(&writer, index) }
                return delta
            }
            outcome.applied = count
            breaker.succeeded()
        } catch {
            writer.keepTombstones = lineage.stagedRows > 0
            for index in 0..<count {
                guard !breaker.isOpen else {
                    outcome.leftOver.append((index, .lineagePaused))
                    continue
                }
                do {
                    outcome.delta += try tx.savepoint { try item(&writer, index) }
                    outcome.applied += 1
                    breaker.succeeded()
                } catch {
                    let failure = MaterializationError.classify(error, dialect)
                    breaker.failed(permanent: failure.isPermanent, message: failure.description)
                    writer.keepTombstones = true
                    outcome.leftOver.append((index, .materializationFailed))
                }
            }
        }
        outcome.controls = try apply(breaker.effects(&lineage, rowDelta: outcome.delta), tx, now: now)
        return outcome
    }
}

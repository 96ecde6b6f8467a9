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
    /// `materialize(_:_:target:count:now:apply:)` to the lineage's target as the store holds it.
    func materialize(
        _ tx: any SQLTransaction,
        _ lineage: inout LineageState,
        count: Int,
        now: Timestamp,
        apply items: (inout MirrorWriter, Range<Int>) throws -> Int
    ) throws -> MaterializationOutcome {
        let target = try Self.target(tx, lineageID: lineage.id)
        return try materialize(tx, &lineage, target: target, count: count, now: now, apply: items)
    }

    /// Applies `count` items to a lineage's `target` (`target(_:lineageID:)`; nil: it has none,
    /// and every item is left over), a range at a time. The whole run goes in one
    /// savepoint; when it fails, each half is tried in its own savepoint, and so on down to the
    /// rows that fail alone: one bad row never undoes the others, and isolating it takes a few
    /// savepoints (two per halving), not one per row. Failures are left over for staging and
    /// counted by the breaker, in input order.
    func materialize(
        _ tx: any SQLTransaction,
        _ lineage: inout LineageState,
        target: MaterializationTarget?,
        count: Int,
        now: Timestamp,
        apply items: (inout MirrorWriter, Range<Int>) throws -> Int
    ) throws -> MaterializationOutcome {
        var outcome = MaterializationOutcome()
        guard let target else {
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
        func attempt(_ range: Range<Int>) throws {
            guard !breaker.isOpen else {
                outcome.leftOver += range.map { ($0, .lineagePaused) }
                return
            }
            do {
                outcome.delta += try tx.savepoint { try items(&writer, range) }
                outcome.applied += range.count
                breaker.succeeded()
            } catch {
                // From the first failure on, deletes leave tombstones: a row left over may be
                // older than one that lands after it.
                writer.keepTombstones = true
                guard range.count == 1 else {
                    let middle = range.lowerBound + range.count / 2
                    try attempt(range.lowerBound..<middle)
                    try attempt(middle..<range.upperBound)
                    return
                }
                let failure = MaterializationError.classify(error, dialect)
                breaker.failed(permanent: failure.isPermanent, message: failure.description)
                outcome.leftOver.append((range.lowerBound, .materializationFailed))
            }
        }
        try attempt(0..<count)
        outcome.controls = try apply(breaker.effects(&lineage, rowDelta: outcome.delta), tx, now: now)
        return outcome
    }
}

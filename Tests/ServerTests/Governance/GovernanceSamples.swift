import EdgeSyncModels

@testable import Server

/// Plain values for the rule tests: no store, no I/O.
enum GovernanceSamples {
    static func lineage(
        status: LineageStatus = .active,
        pauseReason: PauseReason? = nil,
        devicePaused: Bool = false,
        staged: Int64 = 0,
        bytes: Int64 = 0,
        replayOpen: Bool = false,
        strategy: LineageStrategy = .rows,
        syncAuthority: SyncAuthority = .deviceAuthoritative
    ) -> LineageState {
        LineageState(
            id: "lin-1",
            projectID: "proj-1",
            deviceID: "dev-1",
            fleetID: "fleet-1",
            sourceTable: "device_state",
            strategy: strategy,
            status: status,
            pauseReason: pauseReason,
            devicePaused: devicePaused,
            stagedRows: staged,
            stagedBytes: bytes,
            watermark: 42,
            replayOpen: replayOpen,
            syncAuthority: syncAuthority
        )
    }

    static func policy(rows: Int64 = 100, bytes: Int64 = 10_000, resumePercent: Int = 80) -> Policy {
        var policy = Policy.defaults
        policy.maxPendingRowsPerLineage = rows
        policy.maxPendingBytesPerLineage = bytes
        policy.resumeThresholdPercent = resumePercent
        return policy
    }

    static let columns = [
        SchemaColumn(name: "id", declTypeAffinity: .integer, pkOrdinal: 1, notNull: true),
        SchemaColumn(name: "mode", declTypeAffinity: .text, pkOrdinal: 0, notNull: false),
        SchemaColumn(name: "level", declTypeAffinity: .real, pkOrdinal: 0, notNull: false),
    ]

    static let mirrorAll = columns.map { ColumnAction(sourceColumnName: $0.name, action: .mirror) }

    static func review(status: ReviewStatus = .inReview, version: Int = 2, claimer: String? = "tok-1") -> ReviewState {
        ReviewState(
            id: "rev-1",
            projectID: "proj-1",
            scope: .device,
            status: status,
            actionVersion: version,
            claimedBy: claimer.map { _ in "alice" },
            claimedByToken: claimer,
            lineageID: "lin-1",
            deviceID: "dev-1",
            sourceTable: "device_state",
            schemaHash: "a1b2c3d4e5f60718293a4b5c"
        )
    }

    static let alice = Principal(tokenID: "tok-1", name: "alice", scopes: [.operate])
    static let bob = Principal(tokenID: "tok-2", name: "bob", scopes: [.operate])
    static let admin = Principal(tokenID: "tok-9", name: "root", scopes: [.admin])

    /// The controls among `effects`, by kind.
    static func controls(_ effects: [GovernanceEffect]) -> [DownlinkControl.Payload] {
        effects.compactMap {
            if case .sendControl(_, _, let payload) = $0 { return payload }
            return nil
        }
    }

    /// The event kinds among `effects`, in order.
    static func events(_ effects: [GovernanceEffect]) -> [EventKind] {
        effects.compactMap {
            if case .record(let event) = $0 { return event.kind }
            return nil
        }
    }
}

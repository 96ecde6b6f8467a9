import EdgeSyncModels
import Testing

@testable import Server

@Suite("Rules: approval")
struct ApprovalTests {
    typealias S = GovernanceSamples

    static func context(allowAutoCreate: Bool = false, dataPoints: [String: String] = [:]) -> Approval.Context {
        Approval.Context(
            columns: S.columns,
            dataPoints: dataPoints,
            allowAutoCreate: allowAutoCreate,
            targetTable: "edge_mirror_x_device_state"
        )
    }

    @Test func theActionsDescribeTheTargetAndItsBindings() throws {
        var actions = S.mirrorAll
        actions[2] = ColumnAction(sourceColumnName: "level", action: .mirror, mirrorColumnName: "height")
        let plan = try Approval.plan(strategy: .rows, actions: actions, Self.context())
        #expect(plan.target.kind == .mirror && plan.target.primaryKey == ["id"])
        #expect(plan.target.columns.map(\.target) == ["id", "mode", "height"])
        #expect(plan.bindings.map(\.mirrorColumn) == ["id", "mode", "height"] && !plan.deferredKey)
    }

    @Test func anUnmirroredKeyIsRefusedWithTheValidatorsCode() {
        var actions = S.mirrorAll
        actions[0].action = .ignore
        #expect(throws: StoreError.self) { try Approval.plan(strategy: .rows, actions: actions, Self.context()) }
    }

    @Test func autoCreateNeedsThePolicyAndNamesTheNewDataPoint() throws {
        var actions = S.mirrorAll
        actions[2] = ColumnAction(sourceColumnName: "level", action: .autoCreateAndMap)
        #expect(throws: StoreError.self) { try Approval.plan(strategy: .telemetry, actions: actions, Self.context()) }
        let plan = try Approval.plan(strategy: .telemetry, actions: actions, Self.context(allowAutoCreate: true))
        #expect(plan.bindings[2].dataPoint == .autoCreate(name: "level") && plan.bindings[2].pkOrdinal == 0)
    }

    @Test func anApprovalProvisionsBindsDecidesAndActivates() throws {
        let plan = try Approval.plan(strategy: .rows, actions: S.mirrorAll, Self.context())
        var lineage = S.lineage(status: .paused, pauseReason: .schemaReview, staged: 4)
        let review = S.review()
        let effects = Approval.approve(
            review,
            &lineage,
            plan: plan,
            columns: S.columns,
            syncAuthority: .cloudAuthoritative,
            by: S.alice
        )
        #expect(effects.first == .provisionTarget(plan.target))
        #expect(
            effects.contains(.updateReview(reviewID: "rev-1", .decided(status: .approved, by: "alice", reason: nil)))
        )
        #expect(effects.contains(.openReplay(lineageID: "lin-1")))
        #expect(lineage.status == .active && lineage.syncAuthority == .cloudAuthoritative)
        #expect(lineage.mirrorTable == "edge_mirror_x_device_state")
    }

    /// A rows lineage must mirror its key; a telemetry lineage may defer a key column, and then
    /// waits.
    @Test func aDeferredKeyLeavesTheLineagePaused() throws {
        var actions = S.mirrorAll
        actions[0].action = .defer
        #expect(throws: StoreError.self) { try Approval.plan(strategy: .rows, actions: actions, Self.context()) }
        let plan = try Approval.plan(strategy: .telemetry, actions: actions, Self.context())
        var lineage = S.lineage(status: .paused, pauseReason: .schemaReview, staged: 4, strategy: .telemetry)
        let effects = Approval.approve(
            S.review(),
            &lineage,
            plan: plan,
            columns: S.columns,
            syncAuthority: nil,
            by: S.alice
        )
        #expect(plan.deferredKey && lineage.status == .paused && !effects.contains(.openReplay(lineageID: "lin-1")))
    }

    @Test func aRegistryApprovalSharesTheTargetWithEveryWaitingLineage() throws {
        let entry = RegistryEntryState(
            id: "entry-1",
            projectID: "proj-1",
            scope: .project,
            fleetID: "",
            sourceTable: "device_state",
            hash: "h",
            strategy: .rows
        )
        var context = Self.context()
        context.coalesced = true
        let plan = try Approval.plan(strategy: .rows, actions: S.mirrorAll, context)
        var second = S.lineage(status: .paused, pauseReason: .schemaReview)
        second.id = "lin-2"
        let effects = Approval.approveRegistry(
            S.review(),
            entry: entry,
            plan: plan,
            sharedTargetIsNew: true,
            waiting: [S.lineage(status: .paused, pauseReason: .schemaReview), second],
            by: S.alice
        )
        #expect(effects.first == .registerSharedTarget(entry, table: "edge_mirror_x_device_state"))
        #expect(plan.target.primaryKey == ["_device_id", "id"])
        #expect(
            effects.filter {
                if case .adoptRegistryEntry = $0 { return true }
                return false
            } == [
                .adoptRegistryEntry(lineageID: "lin-1", entryID: "entry-1"),
                .adoptRegistryEntry(lineageID: "lin-2", entryID: "entry-1"),
            ]
        )
    }
}

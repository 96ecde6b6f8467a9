import EdgeSyncModels
import Foundation
import Testing

@testable import EdgeSyncConsole

/// Every screen rendered from fixture data into the cell grid and compared with `Screens/`.
/// Regenerate after an intended change: `make goldens`.
@Suite("Screen goldens")
struct ScreenGoldenTests {
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("Screens")
    }

    static func check(_ grid: CellGrid, name: String) throws {
        let file = directory.appendingPathComponent("\(name)-\(grid.width)x\(grid.height).txt")
        if ProcessInfo.processInfo.environment["UPDATE_GOLDENS"] == "1" {
            try grid.text.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        let golden = try String(contentsOf: file, encoding: .utf8)
        #expect(
            grid.text == golden,
            "\(file.lastPathComponent) differs; `make goldens` regenerates it after an intended change:\n\(grid.text)"
        )
    }

    @Test(arguments: [(120, 40), (80, 24)])
    func lineages(width: Int, height: Int) throws {
        var grid = CellGrid(width: width, height: height)
        Fixtures.lineagesScreen.draw(into: &grid, frame: Fixtures.frame)
        try Self.check(grid, name: "lineages")
    }

    @Test func lineagesWhileDisconnectedAndEmpty() throws {
        var grid = CellGrid(width: 120, height: 40)
        var frame = Fixtures.frame
        frame.connected = false
        frame.status = ("server unreachable: connection refused (retrying in 4s)", .error)
        var screen = Fixtures.lineagesScreen
        screen.page = PageEnvelope(data: [], meta: PageMeta(page: 1, limit: 50, total: 0))
        screen.draw(into: &grid, frame: frame)
        try Self.check(grid, name: "lineages-disconnected-empty")
    }
}

extension ScreenGoldenTests {
    @Test(arguments: [(120, 40), (80, 24)])
    func lineageDetail(width: Int, height: Int) throws {
        var grid = CellGrid(width: width, height: height)
        LineageDetailScreen(detail: Fixtures.detail, now: Fixtures.now).draw(into: &grid, frame: Fixtures.frame)
        try Self.check(grid, name: "lineage-detail")
    }

    @Test(arguments: [(120, 40), (80, 24)])
    func writtenRows(width: Int, height: Int) throws {
        var grid = CellGrid(width: width, height: height)
        var screen = RowsScreen(lineageName: "pump-7/device_state", written: true, page: Fixtures.rows)
        screen.selected = 1
        screen.draw(into: &grid, frame: Fixtures.frame)
        try Self.check(grid, name: "rows-written")
    }

    @Test func oneRowAsJSON() throws {
        var grid = CellGrid(width: 120, height: 40)
        var screen = RowsScreen(lineageName: "pump-7/device_state", written: true, page: Fixtures.rows)
        (screen.selected, screen.showingJSON) = (2, true)
        screen.draw(into: &grid, frame: Fixtures.frame)
        try Self.check(grid, name: "rows-json")
    }

    @Test(arguments: [(120, 40), (80, 24)])
    func reviews(width: Int, height: Int) throws {
        var grid = CellGrid(width: width, height: height)
        // The default filter (open reviews) and a header that counts those in review, and whose.
        var frame = Fixtures.frame
        frame.counts.reviews = .init(queued: 1, inReview: 1, mine: 1)
        ReviewsScreen(
            page: PageEnvelope(data: Fixtures.reviews, meta: PageMeta(page: 1, limit: 50, total: 2)),
            selectedID: "review-2",
            now: Fixtures.now
        ).draw(into: &grid, frame: frame)
        try Self.check(grid, name: "reviews")
    }

    @Test(arguments: [(120, 40, false), (80, 24, false), (120, 40, true)])
    func reviewDetail(width: Int, height: Int, confirming: Bool) throws {
        var grid = CellGrid(width: width, height: height)
        ReviewDetailScreen(detail: Fixtures.reviewDetail, confirmingApproval: confirming).draw(
            into: &grid,
            frame: Fixtures.frame
        )
        try Self.check(grid, name: confirming ? "review-detail-confirm" : "review-detail")
    }

    @Test(arguments: [(120, 40), (80, 24)])
    func aRejectedReviewShowsItsReason(width: Int, height: Int) throws {
        var grid = CellGrid(width: width, height: height)
        var detail = Fixtures.reviewDetail
        (detail.review.status, detail.review.reason) = (.rejected, "drops a bound column: mode")
        ReviewDetailScreen(detail: detail).draw(into: &grid, frame: Fixtures.frame)
        try Self.check(grid, name: "review-detail-rejected")
    }

    /// At 80×24 the help covers the whole body: no letter of the list shows at its edges.
    @Test func theHelpOverTheLineagesAt80x24() throws {
        var grid = CellGrid(width: 80, height: 24)
        Fixtures.lineagesScreen.draw(into: &grid, frame: Fixtures.frame)
        ConsoleAccess(readonlyFlag: false, token: nil).help(
            title: "Lineages",
            keys: LineagesScreen.keys,
            adminScreen: false
        ).draw(into: &grid)
        try Self.check(grid, name: "lineages-help")
    }
}

extension ScreenGoldenTests {
    @Test(arguments: [(120, 40, false), (80, 24, false), (120, 40, true)])
    func columnEditor(width: Int, height: Int, invalid: Bool) throws {
        var grid = CellGrid(width: width, height: height)
        var editor = ColumnEditorScreen(detail: Fixtures.reviewDetail)
        editor.selected = invalid ? 0 : 2
        if invalid { editor.cycleAction(by: 1) } else { editor.actions[2].mirrorColumnName = "area" }
        // Until the server answers for these actions the preview says so; invalid ones ask nothing.
        #expect(editor.previewLines == (invalid ? [] : ["…"]) && (editor.previewDue == nil) == invalid)
        editor.preview = (
            editor.actions,
            .statements(
                ApprovalPreview(
                    targetTable: "edge_mirror_devicepu_device_state",
                    targetExists: true,
                    statements: [#"ALTER TABLE "edge_mirror_devicepu_device_state" ADD COLUMN "area" TEXT"#],
                    dialect: "sqlite",
                    columns: ["id", "mode", "area"],
                    landing: [
                        LandingRow(
                            op: .insert,
                            values: ["id": .integer(41), "mode": .string("auto"), "area": .string("north")]
                        ),
                        LandingRow(op: .update, values: ["id": .integer(7), "mode": .string("manual"), "area": .null]),
                        LandingRow(op: .delete, values: ["id": .integer(3)]),
                    ],
                    stagedRows: 12
                )
            )
        )
        editor.draw(into: &grid, frame: Fixtures.frame)
        try Self.check(grid, name: invalid ? "column-editor-invalid" : "column-editor")
    }

    @Test func dataPointPicker() throws {
        var grid = CellGrid(width: 120, height: 40)
        var detail = Fixtures.reviewDetail
        detail.review.strategy = .telemetry
        var editor = ColumnEditorScreen(detail: detail)
        editor.dataPoints = [
            ("dp-1", "north.temperature_c"), ("dp-2", "north.humidity_pct"), ("dp-3", "south.temperature_c"),
        ]
        editor.selected = 1
        editor.actions[1] = ColumnAction(sourceColumnName: "mode", action: .map, deviceDataPointID: "dp-1")
        editor.enter()
        editor.picking = 2
        let table = "edge_ts_devicepu_device_state"
        editor.preview = (
            editor.actions,
            .statements(
                ApprovalPreview(
                    targetTable: table,
                    targetExists: true,
                    statements: [
                        #"ALTER TABLE "\#(table)" ADD COLUMN "north_temperature_c_8ae43fa0" TEXT"#,
                        #"ALTER TABLE "\#(table)" ADD COLUMN "zone" TEXT"#,
                    ],
                    dialect: "sqlite",
                    columns: ["event_ts", "id", "north_temperature_c_8ae43fa0", "zone"],
                    landing: [
                        LandingRow(
                            op: nil,
                            values: [
                                "event_ts": .string("2026-11-20T08:00:00Z"), "id": .integer(1),
                                "north_temperature_c_8ae43fa0": .string("21.5"),
                                "zone": .string("a"),
                            ]
                        ),
                        LandingRow(
                            op: nil,
                            values: ["event_ts": .string("2026-11-20T08:00:01Z"), "id": .string("x")],
                            problem: "materialization_permanent: column id (INTEGER) cannot hold text x on this store"
                        ),
                    ],
                    stagedRows: 2,
                    staleColumns: ["mode"]
                )
            )
        )
        editor.draw(into: &grid, frame: Fixtures.frame)
        try Self.check(grid, name: "column-editor-picker")
        editor.pick()
        #expect(editor.actions[1].deviceDataPointID == "dp-3" && editor.picking == nil)
    }
}

extension ScreenGoldenTests {
    @Test func deleteDialogOverTheLineageDetail() throws {
        var grid = CellGrid(width: 120, height: 40)
        LineageDetailScreen(detail: Fixtures.detail, now: Fixtures.now).draw(into: &grid, frame: Fixtures.frame)
        var dialog = ConfirmDialog(
            title: "Delete lineage pump-7/device_state",
            effect: "Deletes its staged rows, ledger, reviews, bindings and mirror table. Nothing on the device.",
            field: .mustType("device_state")
        )
        for character in "device_st" { _ = dialog.handle(.character(character)) }
        dialog.draw(into: &grid)
        try Self.check(grid, name: "lineage-delete-dialog")
    }

    /// A reason is required: Enter on an empty one keeps the dialog open and the hint says why.
    @Test func rejectDialogWithoutAReason() throws {
        var grid = CellGrid(width: 80, height: 24)
        ReviewDetailScreen(detail: Fixtures.reviewDetail).draw(into: &grid, frame: Fixtures.frame)
        var dialog = ConfirmDialog(
            title: "Reject schema c3c3c3c3c3c3 of device_state",
            effect: "The lineage stays paused (rejected) and its staged rows stay until another schema is approved.",
            field: .text(label: "Reason", required: true)
        )
        _ = dialog.handle(.enter)
        dialog.draw(into: &grid)
        try Self.check(grid, name: "review-reject-no-reason")
    }

    /// Auto-refresh paused: the header keeps a badge for as long as it lasts.
    @Test(arguments: [(120, 40), (80, 24)])
    func lineagesWithRefreshPaused(width: Int, height: Int) throws {
        var grid = CellGrid(width: width, height: height)
        var frame = Fixtures.frame
        frame.refreshPaused = true
        Fixtures.lineagesScreen.draw(into: &grid, frame: frame)
        try Self.check(grid, name: "lineages-paused")
    }
}

extension ScreenGoldenTests {
    @Test func readOnlyHelpOverTheReviewDetail() throws {
        var grid = CellGrid(width: 120, height: 40)
        let screen = ReviewDetailScreen(detail: Fixtures.reviewDetail)
        screen.draw(into: &grid, frame: Fixtures.frame)
        ConsoleAccess(readonlyFlag: true, token: nil).help(
            title: "Review detail",
            keys: screen.keys,
            adminScreen: false
        ).draw(into: &grid)
        try Self.check(grid, name: "review-help-readonly")
    }

    @Test func devicesHelpForATokenWithoutAdmin() throws {
        var grid = CellGrid(width: 120, height: 40)
        Fixtures.devicesScreen.draw(into: &grid, frame: Fixtures.frame)
        let access = ConsoleAccess(
            readonlyFlag: false,
            token: CurrentToken(id: "t", name: "night-shift", scopes: ["mirror:read", "operate", "read"])
        )
        #expect(access.canOperate && !access.canAdminister)
        access.help(title: "Devices", keys: DevicesScreen.keys, adminScreen: true).draw(into: &grid)
        try Self.check(grid, name: "devices-help-no-admin")
    }

    @Test func accessFollowsTheTokenScopes() {
        let reader = ConsoleAccess(
            readonlyFlag: false,
            token: CurrentToken(id: "t", name: "auditor", scopes: ["read", "mirror:read"])
        )
        #expect(
            !reader.canOperate && !reader.canAdminister && reader.reason == "the token auditor lacks the operate scope"
        )
        #expect(!reader.allows(.claim(reviewID: "r", .device, actionVersion: 1)))
        #expect(
            ConsoleAccess(readonlyFlag: false, token: CurrentToken(id: "t", name: "root", scopes: ["admin"])) == .full
        )
        #expect(ConsoleAccess(readonlyFlag: false, token: nil) == .full, "an older server: the API itself refuses")
        let operator_ = ConsoleAccess(
            readonlyFlag: false,
            token: CurrentToken(id: "t", name: "ops", scopes: ["read", "operate"])
        )
        #expect(
            operator_.allows(.deleteLineage(lineageID: "l"))
                && !operator_.allows(.savePolicy(PolicyPatch(), fleet: nil))
        )
    }

    @Test func actionLog() throws {
        var grid = CellGrid(width: 120, height: 40)
        ActionLogScreen(entries: [
            .init(
                time: "06:41:09",
                action: "approve review 01a2116b with 3 column actions",
                ok: true,
                result: "approved with 3 column actions"
            ),
            .init(
                time: "06:40:51",
                action: "claim review 01a2116b",
                ok: false,
                result: "action_version_conflict: the review is at action_version 2"
            ),
        ]).draw(into: &grid, frame: Fixtures.frame)
        try Self.check(grid, name: "action-log")
    }
}

extension ScreenGoldenTests {
    @Test func devices() throws {
        var grid = CellGrid(width: 120, height: 40)
        Fixtures.devicesScreen.draw(into: &grid, frame: Fixtures.frame)
        try Self.check(grid, name: "devices")
    }

    @Test func registry() throws {
        var grid = CellGrid(width: 120, height: 40)
        func entry(
            _ index: Int,
            scope: ReviewScope,
            table: String,
            decision: SchemaVersion.Decision,
            review: String?
        ) -> RegistryEntry {
            RegistryEntry(
                id: "entry-\(index)",
                projectID: "project",
                scope: scope,
                fleetID: scope == .fleet ? "7c1e0d2f-5a4b-4e3d-9c8b-1a2b3c4d5e6f" : nil,
                sourceTable: table,
                schemaHash: String(repeating: "d\(index)", count: 32),
                columns: Array(Fixtures.columnsV2.prefix(index + 1)),
                decision: decision,
                reviewID: review,
                createdAt: Fixtures.now,
                updatedAt: Timestamp(seconds: Fixtures.now.seconds - Int64(index * 900))
            )
        }
        let entries = [
            entry(1, scope: .project, table: "order_events", decision: .approved, review: "0a1b2c3d-review"),
            entry(2, scope: .project, table: "device_state", decision: .pending, review: "1b2c3d4e-review"),
            entry(3, scope: .fleet, table: "sensor_timeseries", decision: .rejected, review: "2c3d4e5f-review"),
        ]
        RegistryScreen(
            page: PageEnvelope(data: entries, meta: PageMeta(page: 1, limit: 50, total: 3)),
            selectedID: "entry-2",
            now: Fixtures.now
        )
        .draw(into: &grid, frame: Fixtures.frame)
        try Self.check(grid, name: "registry")
    }

    @Test func registryReviews() throws {
        var grid = CellGrid(width: 120, height: 40)
        let reviews = Fixtures.reviews.enumerated().map { index, review in
            var review = review
            (review.scope, review.lineageID, review.deviceID, review.deviceName) = (
                index == 0 ? .project : .fleet, nil, nil, nil
            )
            review.fleetID = index == 0 ? nil : "7c1e0d2f-5a4b-4e3d-9c8b-1a2b3c4d5e6f"
            return review
        }
        ReviewsScreen(
            source: .registry,
            page: PageEnvelope(data: reviews, meta: PageMeta(page: 1, limit: 50, total: 2)),
            statusFilter: nil,
            now: Fixtures.now
        )
        .draw(into: &grid, frame: Fixtures.frame)
        try Self.check(grid, name: "registry-reviews")
    }
}

extension ScreenGoldenTests {
    @Test func policyBeingEdited() throws {
        var grid = CellGrid(width: 120, height: 40)
        var screen = PolicyScreen(policy: Policy.defaults)
        screen.selected = 1
        screen.change()
        screen.selected = 3
        screen.change()
        screen.editing = "5000"
        screen.draw(into: &grid, frame: Fixtures.frame)
        try Self.check(grid, name: "policy-editing")
    }

    @Test func fleetPolicy() throws {
        var grid = CellGrid(width: 120, height: 40)
        let fleet = Fleet(
            id: "7c1e0d2f-5a4b-4e3d-9c8b-1a2b3c4d5e6f",
            projectID: "project",
            name: "north-plant",
            deviceCount: 12,
            hasOwnPolicy: true,
            createdAt: Fixtures.now
        )
        var policy = Policy.defaults
        policy.schemaCoalescingMode = .fleet
        PolicyScreen(policy: policy, fleet: fleet, fleets: [fleet]).draw(into: &grid, frame: Fixtures.frame)
        try Self.check(grid, name: "policy-fleet")
    }
}

extension ScreenGoldenTests {
    /// The list (device and table by name; the rejected batch came from a device since deleted),
    /// the kind list open over it, and one event in full at 80×24.
    @Test func events() throws {
        var grid = CellGrid(width: 120, height: 40)
        var screen = EventsScreen(live: true, now: Fixtures.now)
        let kinds: [(EventKind, String, String)] = [
            (.lineageCreated, "rows", "pump-7/device_state: first batch"),
            (.reviewQueued, "ambiguous", "pump-7/device_state: first schema of this lineage"),
            (.lineagePaused, "schema_review", "waiting for a schema review"),
            (.reviewApproved, "admin", "device_state schema c3c3c3c3c3c3: approve by admin"),
            (.replayCompleted, "completed", "device_state: 42 staged rows replayed"),
            (.batchRejected, "invalid_json", "the payload is not a JSON object"),
        ]
        for (index, (kind, outcome, message)) in kinds.enumerated() {
            screen.append(
                Event(
                    id: Int64(index + 1),
                    time: Timestamp(seconds: Fixtures.now.seconds - Int64(60 - index * 10)),
                    projectID: "project",
                    deviceID: kind == .batchRejected ? "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b" : "device-pump-7",
                    lineageID: kind == .batchRejected ? nil : "lineage-2",
                    kind: kind,
                    outcome: outcome,
                    message: message,
                    deviceName: kind == .batchRejected ? nil : "pump-7",
                    sourceTable: kind == .batchRejected ? nil : "device_state"
                )
            )
        }
        screen.draw(into: &grid, frame: Fixtures.frame)
        try Self.check(grid, name: "events")
        screen.pickKind()
        for _ in 0..<3 { screen.handleModal(.down) }
        var picking = CellGrid(width: 120, height: 40)
        screen.draw(into: &picking, frame: Fixtures.frame)
        try Self.check(picking, name: "events-kind-picker")
        screen.handleModal(.enter)
        #expect(screen.kind == EventsScreen.kinds[3] && screen.picking == nil)
        screen.kind = nil
        screen.selected = 2
        screen.detailShown = true
        var detail = CellGrid(width: 80, height: 24)
        screen.draw(into: &detail, frame: Fixtures.frame)
        try Self.check(detail, name: "events-detail")
        screen.handleModal(.escape)
        #expect(!screen.detailShown)
    }
}

/// Fixed data for the goldens: deterministic ids, times and names (wide and combining
/// characters included, to keep alignment honest).
enum Fixtures {
    static let now = Timestamp(seconds: 1_795_000_000)

    static func lineage(
        _ index: Int,
        device: String,
        table: String,
        strategy: LineageStrategy = .rows,
        status: LineageStatus,
        reason: PauseReason? = nil,
        staged: Int64 = 0,
        mirrored: Int64 = 0,
        ago: Int64? = 5,
        errors: Int = 0
    ) -> Lineage {
        Lineage(
            id: "lineage-\(index)",
            projectID: "project",
            deviceID: "device-\(device)",
            deviceName: device,
            fleetID: "fleet",
            sourceTable: table,
            strategy: strategy,
            status: status,
            pauseReason: reason,
            stagedRowCount: staged,
            mirroredRowCount: mirrored,
            lastBatchAt: ago.map { Timestamp(seconds: now.seconds - $0) },
            materializationFailureCount: errors,
            createdAt: Timestamp(seconds: now.seconds - 86_400),
            updatedAt: Timestamp(seconds: now.seconds - (ago ?? 0))
        )
    }

    static let lineages = [
        lineage(
            1,
            device: "pump-7",
            table: "order_events",
            status: .paused,
            reason: .schemaReview,
            staged: 12_480,
            ago: 2
        ),
        lineage(2, device: "pump-7", table: "device_state", status: .active, mirrored: 42, ago: 4),
        lineage(
            3,
            device: "pump-7",
            table: "sensor_timeseries",
            strategy: .telemetry,
            status: .active,
            mirrored: 1_204_331,
            ago: 1
        ),
        lineage(
            4,
            device: "valve-1",
            table: "order_events",
            status: .paused,
            reason: .backpressure,
            staged: 100_412,
            ago: 75
        ),
        lineage(
            5,
            device: "valve-1",
            table: "device_state",
            status: .paused,
            reason: .materializationFailure,
            staged: 17,
            mirrored: 310,
            ago: 3_700,
            errors: 5
        ),
        lineage(
            6,
            device: "tank-3",
            table: "sensor_timeseries",
            strategy: .telemetry,
            status: .paused,
            reason: .rejected,
            staged: 9,
            ago: 200_000
        ),
        lineage(
            7,
            device: "kiosk-東京",
            table: "café_orders",
            status: .paused,
            reason: .schemaReview,
            staged: 3,
            ago: nil
        ),
    ]

    static var lineagesScreen: LineagesScreen {
        LineagesScreen(
            page: PageEnvelope(data: lineages, meta: PageMeta(page: 1, limit: 50, total: lineages.count)),
            selectedID: "lineage-2",
            dataAge: 3,
            now: now
        )
    }

    static var devicesScreen: DevicesScreen {
        let devices = [
            Device(
                id: "3f2a9c1d-8b7e-4c55-9e0a-1d2c3b4a5f60",
                projectID: "project",
                fleetID: "fleet",
                name: "pump-7",
                connected: true,
                lastSeenAt: Timestamp(seconds: now.seconds - 2),
                credentialKinds: [.certificate],
                createdAt: now
            ),
            Device(
                id: "9c1d3f2a-7e8b-554c-0a9e-5f601d2c3b4a",
                projectID: "project",
                fleetID: "fleet",
                name: "valve-1",
                connected: false,
                lastSeenAt: Timestamp(seconds: now.seconds - 7_200),
                credentialKinds: [.password],
                createdAt: now
            ),
            Device(
                id: "0a9e5f60-1d2c-3b4a-3f2a-9c1d8b7e4c55",
                projectID: "project",
                fleetID: "fleet",
                name: "kiosk-東京",
                connected: false,
                credentialKinds: [],
                createdAt: now
            ),
        ]
        return DevicesScreen(
            page: PageEnvelope(data: devices, meta: PageMeta(page: 1, limit: 50, total: 3)),
            selectedID: devices[1].id,
            now: now
        )
    }

    static let columnsV2 = [
        SchemaColumn(name: "id", declTypeAffinity: .integer, pkOrdinal: 1, notNull: true),
        SchemaColumn(name: "mode", declTypeAffinity: .text, pkOrdinal: 0, notNull: false),
        SchemaColumn(name: "zone", declTypeAffinity: .text, pkOrdinal: 0, notNull: false),
    ]

    static let bindings = [
        ColumnAction(sourceColumnName: "id", action: .mirror, mirrorColumnName: "id"),
        ColumnAction(sourceColumnName: "mode", action: .mirror, mirrorColumnName: "mode"),
    ]

    static var detail: LineageDetail {
        var lineage = lineages[1]
        lineage.mirrorTable = "edge_mirror_3f2a9c1d_device_state"
        lineage.stagedRowCount = 2
        return LineageDetail(
            lineage: lineage,
            schemaVersions: [
                SchemaVersion(
                    schemaHash: String(repeating: "a1", count: 32),
                    columns: Array(columnsV2.prefix(2)),
                    classification: .ambiguous,
                    decision: .approved,
                    firstSeenAt: Timestamp(seconds: now.seconds - 7_200),
                    approvedAt: Timestamp(seconds: now.seconds - 7_000)
                )
            ],
            bindings: bindings,
            replayIntent: ReplayIntent(
                id: "replay-1",
                lineageID: lineage.id,
                state: .completed,
                totalRows: 42,
                replayedRows: 42,
                createdAt: Timestamp(seconds: now.seconds - 7_000),
                updatedAt: Timestamp(seconds: now.seconds - 6_990)
            ),
            pendingControls: [
                PendingControl(
                    id: "control-1",
                    deviceID: lineage.deviceID,
                    kind: .stateWrite,
                    sourceTable: "device_state",
                    createdAt: Timestamp(seconds: now.seconds - 30),
                    sentCount: 2
                )
            ]
        )
    }

    static let modes = ["idle", "heat", "cool", "eco", "hot", "ñandú"]

    static func mirrorRow(_ index: Int) -> JSONObject {
        var row = JSONObject()
        row["_device_id"] = .string("3f2a9c1d-8b7e-4c55-9e0a-1d2c3b4a5f60")
        row["_journal_epoch"] = .string("01936f2e-5c3b-7a00-8000-000000000001")
        row["_commit_seq"] = .integer(Int64(100 + index))
        row["_updated_at"] = .string("2026-11-25T06:00:0\(index).000000000Z")
        row["_cloud_version"] = .integer(0)
        row["id"] = .integer(Int64(index))
        row["mode"] = .string(modes[index - 1])
        row["raw"] = index == 3 ? .object(["$hex": .string("00ff")]) : .null
        return row
    }

    static let rows = PageEnvelope<JSONObject>(
        data: (1...6).map(mirrorRow),
        meta: PageMeta(page: 1, limit: 50, total: 6, source: "mirror")
    )

    static let reviews = [
        SchemaReview(
            id: "review-1",
            projectID: "project",
            scope: .device,
            lineageID: "lineage-1",
            deviceID: "device-pump-7",
            deviceName: "pump-7",
            sourceTable: "order_events",
            strategy: .rows,
            schemaHash: String(repeating: "b2", count: 32),
            classification: .ambiguous,
            classificationReason: "first schema of this lineage",
            status: .queued,
            actionVersion: 1,
            stagedRowCount: 12_480,
            createdAt: Timestamp(seconds: now.seconds - 600),
            updatedAt: Timestamp(seconds: now.seconds - 600)
        ),
        SchemaReview(
            id: "review-2",
            projectID: "project",
            scope: .device,
            lineageID: "lineage-2",
            deviceID: "device-pump-7",
            deviceName: "pump-7",
            sourceTable: "device_state",
            strategy: .rows,
            schemaHash: String(repeating: "c3", count: 32),
            classification: .compatibleAdditive,
            classificationReason: "new columns: zone",
            status: .inReview,
            actionVersion: 2,
            claimedBy: "admin (first start)",
            claimedAt: Timestamp(seconds: now.seconds - 60),
            stagedRowCount: 2,
            createdAt: Timestamp(seconds: now.seconds - 3_600),
            updatedAt: Timestamp(seconds: now.seconds - 60)
        ),
    ]

    static var reviewDetail: SchemaReviewDetail {
        SchemaReviewDetail(
            review: reviews[1],
            columns: columnsV2,
            previousSchemaHash: String(repeating: "a1", count: 32),
            diff: SchemaDiff.diff(current: columnsV2, previous: Array(columnsV2.prefix(2)), bindings: bindings),
            suggestedActions: SchemaDiff.suggestedActions(
                columns: columnsV2,
                strategy: .rows,
                previous: Array(columnsV2.prefix(2)),
                bindings: bindings
            ),
            stagedSample: [
                StagedRow(
                    id: 1,
                    lineageID: "lineage-2",
                    commitSeq: 43,
                    journalEpoch: "01936f2e-5c3b-7a00-8000-000000000001",
                    op: .insert,
                    pk: ["id": .integer(43)],
                    row: ["id": .integer(43), "mode": .string("eco"), "zone": .string("north")],
                    reason: .schemaReview,
                    schemaHash: String(repeating: "c3", count: 32),
                    bytes: 48,
                    receivedAt: now
                )
            ]
        )
    }

    static let frame = ScreenFrame(
        server: "embedded http://127.0.0.1:8080",
        project: "default",
        connected: true,
        counts: EdgeSummary(
            lineages: .init(active: 2, paused: 5),
            reviews: .init(queued: 3, inReview: 0, mine: 0),
            devices: .init(total: 0, connected: 0)
        ),
        breadcrumb: [],
        title: "",
        status: nil,
        keys: []
    )
}

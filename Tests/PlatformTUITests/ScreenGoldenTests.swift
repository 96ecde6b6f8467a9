import EdgeSyncModels
import Foundation
import Testing
@testable import PlatformTUI

/// Every screen rendered from fixture data into the cell grid and compared with `Screens/`.
/// Regenerate after an intended change: `make goldens`.
@Suite("Screen goldens")
struct ScreenGoldenTests {
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Screens")
    }

    static func check(_ grid: CellGrid, name: String) throws {
        let file = directory.appendingPathComponent("\(name)-\(grid.width)x\(grid.height).txt")
        if ProcessInfo.processInfo.environment["UPDATE_GOLDENS"] == "1" {
            try grid.text.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        let golden = try String(contentsOf: file, encoding: .utf8)
        #expect(grid.text == golden, "\(file.lastPathComponent) differs; `make goldens` regenerates it after an intended change:\n\(grid.text)")
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

/// Fixed data for the goldens: deterministic ids, times and names (wide and combining
/// characters included, to keep alignment honest).
enum Fixtures {
    static let now = Timestamp(seconds: 1_795_000_000)

    static func lineage(_ index: Int, device: String, table: String, strategy: LineageStrategy = .rows, status: LineageStatus,
                        reason: PauseReason? = nil, staged: Int64 = 0, mirrored: Int64 = 0, ago: Int64? = 5, errors: Int = 0) -> Lineage {
        Lineage(
            id: "lineage-\(index)", projectID: "project", deviceID: "device-\(device)", deviceName: device, fleetID: "fleet", sourceTable: table,
            strategy: strategy, status: status, pauseReason: reason, stagedRowCount: staged, mirroredRowCount: mirrored,
            lastBatchAt: ago.map { Timestamp(seconds: now.seconds - $0) }, materializationFailureCount: errors,
            createdAt: Timestamp(seconds: now.seconds - 86_400), updatedAt: Timestamp(seconds: now.seconds - (ago ?? 0)))
    }

    static let lineages = [
        lineage(1, device: "pump-7", table: "order_events", status: .paused, reason: .schemaReview, staged: 12_480, ago: 2),
        lineage(2, device: "pump-7", table: "device_state", status: .active, mirrored: 42, ago: 4),
        lineage(3, device: "pump-7", table: "sensor_timeseries", strategy: .telemetry, status: .active, mirrored: 1_204_331, ago: 1),
        lineage(4, device: "valve-1", table: "order_events", status: .paused, reason: .backpressure, staged: 100_412, ago: 75),
        lineage(5, device: "valve-1", table: "device_state", status: .paused, reason: .materializationFailure, staged: 17, mirrored: 310, ago: 3_700, errors: 5),
        lineage(6, device: "tank-3", table: "sensor_timeseries", strategy: .telemetry, status: .paused, reason: .rejected, staged: 9, ago: 200_000),
        lineage(7, device: "kiosk-東京", table: "café_orders", status: .paused, reason: .schemaReview, staged: 3, ago: nil),
    ]

    static var lineagesScreen: LineagesScreen {
        LineagesScreen(
            page: PageEnvelope(data: lineages, meta: PageMeta(page: 1, limit: 50, total: lineages.count)), selectedID: "lineage-2", dataAge: 3, now: now)
    }

    static let frame = ScreenFrame(
        server: "embedded http://127.0.0.1:8080", project: "default", connected: true, activeLineages: 2, pausedLineages: 5, queuedReviews: 3,
        breadcrumb: [], title: "", status: nil, keys: [])
}

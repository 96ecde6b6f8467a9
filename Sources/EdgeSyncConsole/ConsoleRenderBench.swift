import EdgeSyncModels

/// Median milliseconds to draw the lineages screen into the cell grid (no terminal), for
/// `make bench`: an empty screen, a page of 50 of `lineages`, and all of them in one page.
public enum ConsoleRenderBench {
    public struct Result: Sendable {
        public var empty: Double
        public var page: Double
        public var all: Double
    }

    public static func run(lineages: Int = 10_000, frames: Int = 200) -> Result {
        let now = Timestamp.now
        let tables = ["order_events", "device_state", "sensor_timeseries"]
        let all = (0..<lineages).map { index -> Lineage in
            let paused = index % 4 == 0
            let device = "device-\(index / 10)"
            return Lineage(
                id: "lineage-\(index)",
                projectID: "project",
                deviceID: device,
                deviceName: device,
                fleetID: "fleet",
                sourceTable: tables[index % 3],
                strategy: index % 3 == 2 ? .telemetry : .rows,
                status: paused ? .paused : .active,
                pauseReason: paused ? .schemaReview : nil,
                stagedRowCount: Int64(index) * 7,
                mirroredRowCount: Int64(index) * 131,
                lastBatchAt: Timestamp(seconds: now.seconds - Int64(index % 600)),
                createdAt: now,
                updatedAt: now
            )
        }
        let frame = ScreenFrame(
            server: "bench",
            project: "default",
            connected: true,
            counts: EdgeSummary(
                lineages: .init(active: lineages * 3 / 4, paused: lineages / 4),
                reviews: .init(queued: lineages / 4, inReview: 0, mine: 0),
                devices: .init(total: 0, connected: 0)
            ),
            breadcrumb: [],
            title: "",
            status: nil,
            keys: []
        )
        func median(_ page: [Lineage]) -> Double {
            let screen = LineagesScreen(
                page: PageEnvelope(data: page, meta: PageMeta(page: 1, limit: max(1, page.count), total: lineages)),
                selectedID: page.dropFirst(page.count / 2).first?.id,
                dataAge: 3,
                now: now
            )
            var samples: [Double] = []
            for _ in 0..<frames {
                let start = ContinuousClock.now
                var grid = CellGrid(width: 120, height: 40)
                screen.draw(into: &grid, frame: frame)
                let elapsed = ContinuousClock.now - start
                samples.append(
                    Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
                )
            }
            return samples.sorted()[frames / 2]
        }
        return Result(empty: median([]), page: median(Array(all.prefix(50))), all: median(all))
    }
}

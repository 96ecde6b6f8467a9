import EdgeSyncConsole

/// Console: milliseconds to draw the lineages screen into the cell grid (no terminal), with
/// 10,000 lineages.
enum ConsoleBench {
    static func run(_ report: BenchReport) async throws {
        let lineages = 10_000
        let result = ConsoleRenderBench.run(lineages: lineages)
        report.add(
            Figure(
                section: "Console (120×40, cell grid, no terminal)",
                name: "lineages screen, a page of 50 of \(lineages.formatted()) (median frame)",
                value: result.page,
                unit: "ms",
                reference: "an empty lineages screen",
                referenceValue: result.empty,
                higherIsBetter: false
            )
        )
        report.add(
            Figure(
                section: "Console (120×40, cell grid, no terminal)",
                name: "lineages screen, all \(lineages.formatted()) in one page (median frame)",
                value: result.all,
                unit: "ms",
                reference: "an empty lineages screen",
                referenceValue: result.empty,
                higherIsBetter: false,
                note: "the console loads a page at a time; this is the worst case of a huge page"
            )
        )
    }
}

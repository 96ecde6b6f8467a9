import Foundation

/// Console: milliseconds to draw the lineages screen into the cell grid (no terminal), measured
/// by `platform-tui bench-render` (the screens live in that executable).
enum ConsoleBench {
    struct Result: Decodable {
        var empty: Double
        var page: Double
        var all: Double
        var lineages: Int
    }

    static func run(_ report: BenchReport) async throws {
        let binary = ScaleBench.binary
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            print("console: \(binary.path) not built; skipped")
            return
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = ["bench-render", "--lineages", "10000"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let result = try JSONDecoder().decode(Result.self, from: data)
        report.add(
            Figure(
                section: "Console (120×40, cell grid, no terminal)",
                name: "lineages screen, a page of 50 of \(result.lineages.formatted()) (median frame)",
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
                name: "lineages screen, all \(result.lineages.formatted()) in one page (median frame)",
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

import ArgumentParser
import EdgeSyncModels

/// `platform-tui rows staged|mirror LINEAGE`: the rows waiting for a decision, or the rows
/// written to the mirror table (or telemetry series).
struct RowsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rows",
        abstract: "Row data of a lineage: staged or mirrored.",
        subcommands: [Staged.self, Mirror.self]
    )

    struct Staged: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Staged rows (waiting for a review or a replay).")
        @OptionGroup var options: CLIOptions
        @Argument(help: "Lineage id.") var lineage: String
        @Option var page = 1
        @Option var limit = 50

        func run() async throws {
            try await CLI.run(options) { client, base, output in
                let rows = try await client.get(
                    "\(base)/edge/lineages/\(lineage)/staged-rows\(CLI.query([("page", String(page)), ("limit", String(limit))]))",
                    as: PageEnvelope<StagedRow>.self
                )
                let columns = RowsScreen.columnNames(of: rows.data.map(ConsoleLoader.stagedObject))
                output.list(rows, columns: columns) { RowsCommand.cells(ConsoleLoader.stagedObject($0), columns) }
            }
        }
    }

    struct Mirror: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rows of the mirror table (or the telemetry series).")
        @OptionGroup var options: CLIOptions
        @Argument(help: "Lineage id.") var lineage: String
        @Option(parsing: .unconditional, help: "Sort column; -column for descending (--order -id).") var order: String?
        @Option(help: "Substring to look for in any column.") var q: String?
        @Option var page = 1
        @Option var limit = 50

        func run() async throws {
            try await CLI.run(options) { client, base, output in
                let query = CLI.query([("order", order), ("q", q), ("page", String(page)), ("limit", String(limit))])
                let rows = try await client.get(
                    "\(base)/edge/lineages/\(lineage)/mirror-rows\(query)",
                    as: PageEnvelope<JSONObject>.self
                )
                let columns = RowsScreen.columnNames(of: rows.data)
                output.list(rows, columns: columns) { RowsCommand.cells($0, columns) }
            }
        }
    }

    static func cells(_ row: JSONObject, _ columns: [String]) -> [String] {
        columns.map { name in RowsScreen.text(row[name]) }
    }
}

import ArgumentParser
import EdgeSyncModels
import Foundation

extension ReviewsCommand {
    /// `reviews preview ID`: what approving with these actions would do, changing nothing.
    struct Preview: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the DDL and the first staged rows as an approval with these actions would write them.",
            discussion: "FILE is read as for approve. Without --actions, the server's suggested actions."
        )
        @OptionGroup var options: CLIOptions
        @Argument(help: "Review id.") var id: String
        @Option(help: "Column actions file (JSON), or - for stdin.") var actions: String?

        func run() async throws {
            let file = try actions.map(Approve.read)
            try await CLI.run(options) { client, base, output in
                let (detail, source) = try await ReviewsCommand.fetch(id, client: client, base: base)
                let request = ApprovalPreviewRequest(columnActions: file?.columnActions ?? detail.suggestedActions)
                let preview = try await client.query(
                    "\(base)/\(source.path)/\(id)/preview",
                    body: Array(try JSONEncoder().encode(request)),
                    as: ResourceEnvelope<ApprovalPreview>.self
                ).data
                output.resource(preview, Self.sections(preview))
            }
        }

        static func sections(_ preview: ApprovalPreview) -> [CLIOutput.Section] {
            [
                .fields([
                    ("target", preview.targetTable + (preview.targetExists ? " (exists: extended)" : " (created)")),
                    ("dialect", preview.dialect), ("staged rows", String(preview.stagedRows)),
                    (
                        "stops updating",
                        preview.staleColumns.isEmpty
                            ? "-" : preview.staleColumns.joined(separator: ", ") + " (they keep their values)"
                    ),
                ]),
                .table(
                    title: "Statements",
                    columns: ["DDL"],
                    rows: preview.statements.isEmpty
                        ? [["(none: the target has every column)"]] : preview.statements.map { [$0] }
                ),
                .table(
                    title: "Rows as they would land (first \(preview.landing.count))",
                    columns: (preview.landsChanges ? ["OP"] : []) + preview.columns.map { $0.uppercased() } + [
                        "PROBLEM"
                    ],
                    rows: zip(preview.landingCells(missing: "-"), preview.landing).map { $0 + [$1.problem ?? "-"] }
                ),
            ]
        }
    }
}

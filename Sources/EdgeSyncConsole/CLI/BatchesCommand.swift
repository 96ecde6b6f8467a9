import ArgumentParser
import EdgeSyncModels
import Foundation

/// `platform-tui batches list|payload|reingest`: the batch ledger and the rejected batches the
/// server keeps.
struct BatchesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batches",
        abstract: "The batch ledger; rejected batches' kept bytes and their re-ingest.",
        subcommands: [List.self, Payload.self, Reingest.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List ledger entries, newest last.")
        @OptionGroup var options: CLIOptions
        @Option(help: "Only batches with this outcome.") var outcome: BatchOutcome?
        @Option(help: "Only this rejection code.") var code: String?
        @Option(help: "Only this device (id).") var device: String?
        @Option(help: "Only this lineage (id).") var lineage: String?
        @Option var page = 1
        @Option var limit = 50

        func run() async throws {
            try await CLI.run(options) { client, base, output in
                let query = CLI.query([
                    ("outcome", outcome?.rawValue), ("code", code), ("device_id", device), ("lineage_id", lineage),
                    ("page", String(page)), ("limit", String(limit)),
                ])
                let entries = try await client.get(
                    "\(base)/edge/batches\(query)",
                    as: PageEnvelope<BatchLedgerEntry>.self
                )
                output.list(
                    entries,
                    columns: ["ID", "RECEIVED", "DEVICE", "TABLE", "KIND", "ROWS", "OUTCOME", "CODE", "KEPT"]
                ) {
                    [
                        String($0.id), CLI.time($0.receivedAt), $0.deviceName, $0.sourceTable ?? "-",
                        $0.kind.rawValue, String($0.rowCount), $0.outcome.rawValue,
                        $0.rejectionCode?.rawValue ?? "-",
                        $0.payloadKept ? "yes" : ($0.reingestedEntryID.map { "re-ingested as \($0)" } ?? "no"),
                    ]
                }
            }
        }
    }

    struct Payload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a rejected batch's kept bytes to stdout, exactly as the device sent them."
        )
        @OptionGroup var options: CLIOptions
        @Argument(help: "Ledger entry id.") var id: Int64

        func run() async throws {
            try await CLI.run(options) { client, base, _ in
                FileHandle.standardOutput.write(Data(try await client.bytes("\(base)/edge/batches/\(id)/payload")))
            }
        }
    }

    struct Reingest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ingest a kept rejected batch again once its cause is fixed; stored rows are not stored twice."
        )
        @OptionGroup var options: CLIOptions
        @Argument(help: "Ledger entry id.") var id: Int64

        func run() async throws {
            try await CLI.run(options) { client, base, output in
                let result = try await client.reingest(entryID: id, base: base)
                output.resource(
                    result,
                    [
                        .fields([
                            ("entry", String(result.entryID)),
                            ("new entry", result.reingestedEntryID.map(String.init) ?? "-"),
                            ("outcome", result.outcome?.rawValue ?? "-"),
                            ("rejection", result.rejectionCode?.rawValue ?? "-"),
                            ("staged rows", String(result.stagedRows)),
                        ])
                    ]
                )
            }
        }
    }
}

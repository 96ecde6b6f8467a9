import ArgumentParser
import EdgeSyncModels
import Foundation
import UnixSignals

/// `platform-tui events list|watch`: the event history, or the live stream until interrupted.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Governance events: history and live stream.",
        subcommands: [List.self, Watch.self]
    )

    /// Device and table by name (by id once deleted); `--output json` keeps the ids too.
    static let columns = ["ID", "TIME", "KIND", "OUTCOME", "DEVICE", "TABLE", "MESSAGE"]

    static func row(_ event: Event) -> [String] {
        [
            String(event.id), event.time.description, event.kind.rawValue, event.outcome,
            event.deviceName ?? event.deviceID ?? "-", event.sourceTable ?? event.lineageID ?? "-", event.message,
        ]
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List events, oldest first.")
        @OptionGroup var options: CLIOptions
        @Option(help: "An event kind, e.g. edge_batch.rejected.") var kind: String?
        @Option(help: "Only this device (id).") var device: String?
        @Option(help: "Only this lineage (id).") var lineage: String?
        @Option(help: "Only events after this id.") var since: Int64?
        @Option var page = 1
        @Option var limit = 50

        func run() async throws {
            try await CLI.run(options) { client, base, output in
                let query = CLI.query([
                    ("kind", kind), ("device_id", device), ("lineage_id", lineage), ("since", since.map(String.init)),
                    ("page", String(page)), ("limit", String(limit)),
                ])
                output.list(
                    try await client.get("\(base)/events\(query)", as: PageEnvelope<Event>.self),
                    columns: EventsCommand.columns,
                    row: EventsCommand.row
                )
            }
        }
    }

    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print events as they happen (one per line) until Ctrl+C."
        )
        @OptionGroup var options: CLIOptions
        @Option(help: "Only this event kind.") var kind: String?

        func run() async throws {
            if let kind, EventKind(rawValue: kind) == nil { throw CLIError.usage("unknown event kind \(kind)") }
            try await CLI.run(options) { client, base, output in
                let stream = EventStream(client: client, path: "\(base)/events/stream\(CLI.query([("kind", kind)]))")
                stream.start { event in
                    output.write(
                        output.format == .table
                            ? EventsCommand.row(event).joined(separator: "  ") : CLIOutput.json(event, pretty: false)
                    )
                }
                for await _ in await UnixSignalsSequence(trapping: [.sigint, .sigterm]) { break }
                stream.stop()
            }
        }
    }
}

import ArgumentParser
import EdgeSyncModels

/// `edge-agent`: captures changes of an application's SQLite tables and publishes them to the
/// governance server over MQTT. The subcommands (`run`, `status`, `check`, `uninstall`) arrive
/// with the agent issue; this entry point fixes the product's name and help.
@main
struct EdgeAgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edge-agent",
        abstract: "Mirror an application's SQLite tables to an Edge Sync governance server.",
        discussion: """
            Runs beside an application on an edge device. Triggers capture every committed change of \
            the enrolled tables into a journal; batches go to the server over MQTT QoS 1 \
            (wire format version \(WireLimits.formatVersion)).
            """,
        version: EdgeSyncVersion.string)
}

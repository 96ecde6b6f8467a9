import ArgumentParser
import EdgeSyncModels
import Foundation
import Logging
import Server
import UnixSignals

/// `platform-tui` (the default): the console, on an embedded governance server unless
/// `--server`/`--token` (or `EDGESYNC_SERVER`/`EDGESYNC_TOKEN`) name a remote one.
struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "The operator console (the default command)."
    )

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Embedded server: HTTP port (0 picks a free one).")
    var httpPort = 0
    @Option(help: "Embedded server: MQTT port.")
    var mqttPort = 1883
    @Flag(help: "Embedded server: accept any device id on loopback (development).")
    var devOpen = false
    @Flag(help: "Look, do not touch: keys that change the server are off.")
    var readonly = false

    func run() async throws {
        var embedded: GovernanceServer?
        let client: APIClient
        let label: String
        let dataDir = connection.dataDir
        if let remote = try connection.remote() {
            client = remote
            label = remote.baseURL
        } else {
            let started = try await Self.embeddedServer(
                ServerConfiguration(dataDirectory: dataDir, httpPort: httpPort, mqttPort: mqttPort, devOpen: devOpen)
            )
            let endpoints = try await started.start()
            embedded = started
            client = APIClient(baseURL: endpoints.http, token: started.adminToken)
            label = "embedded \(endpoints.http)"
        }
        do {
            try await Self.console(client: client, label: label, readonly: readonly, project: connection.project)
        } catch {
            await embedded?.stop()
            throw error
        }
        await embedded?.stop()
    }

    /// A server in this process, logging to `<data-dir>/server.log` (the screen is the console's).
    static func embeddedServer(_ configuration: ServerConfiguration) async throws -> GovernanceServer {
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        let sink = FileLogHandler.Sink(
            path: URL(fileURLWithPath: configuration.dataDirectory).appendingPathComponent("server.log").path
        )
        return try await GovernanceServer.open(
            configuration,
            logger: Logger(label: "edgesync.server") { _ in FileLogHandler(sink: sink) }
        )
    }

    /// The full-screen console on `client` until the operator quits.
    static func console(
        client: APIClient,
        label: String,
        readonly: Bool,
        project wanted: String? = nil,
        start: ConsoleApp.Route = .lineages
    ) async throws {
        let project: Project
        let token: CurrentToken?
        do {
            project = try await ConnectionOptions.project(wanted, on: client)
            // An older server without the route: mutations are then refused by the API itself.
            token = try? await client.get("/tokens/current", as: ResourceEnvelope<CurrentToken>.self).data
        } catch let error as ClientError {
            throw CLIError.noServer("\(label): \(error)")
        }
        let app = ConsoleApp(
            client: client,
            project: project,
            serverLabel: label,
            access: ConsoleAccess(readonlyFlag: readonly, token: token),
            start: start
        )
        // Ctrl+C (whatever is open), a closed terminal or a SIGTERM ends the console like `q`, so
        // whatever runs after it (the embedded server, the demo's agents) still stops cleanly.
        let signals = Task {
            for await _ in await UnixSignalsSequence(trapping: [.sigint, .sighup, .sigterm]) {
                app.quit()
                break
            }
        }
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let terminal = Terminal()
                app.run(terminal: terminal)
                terminal.close()
                continuation.resume()
            }
        }
        signals.cancel()
    }
}

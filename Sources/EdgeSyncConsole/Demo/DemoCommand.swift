import ArgumentParser
import Foundation
import UnixSignals

/// `platform-tui demo`: the whole stack on this machine (docs/spec/tui.md "Start-up"): the embedded
/// server, simulated devices each with its application writing to SQLite and a real
/// `edge-agent`, then the console. `--no-tui` runs it headless for scripts.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole stack locally: server, simulated devices with real agents, console."
    )

    @Option(help: "Data directory (a second run reuses it; --reset starts afresh).")
    var dataDir = "./.edgesync-demo"
    @Option(help: "HTTP port (0 picks a free one).")
    var httpPort = 0
    @Option(help: "MQTT port (0 picks a free one).")
    var mqttPort = 0
    @Flag(help: "Delete the data directory first.")
    var reset = false
    @Flag(help: "No console: print the ready lines and run until SIGINT/SIGTERM.")
    var noTui = false
    @Option(help: "Simulated devices.")
    var devices = 3
    @Option(help: "Seconds before each device's application migrates order_events (adds discount_cents).")
    var migrateAfter = 60
    @Option(help: "Milliseconds between each application's writes.")
    var tickMs = 250

    func validate() throws {
        guard (1...64).contains(devices) else { throw ValidationError("--devices is 1–64") }
        guard migrateAfter >= 0 else { throw ValidationError("--migrate-after is seconds, 0 or more") }
        guard (10...60_000).contains(tickMs) else { throw ValidationError("--tick-ms is 10–60000") }
    }

    func run() async throws {
        if reset { try? FileManager.default.removeItem(atPath: dataDir) }
        var options = DemoStack.Options(
            dataDirectory: dataDir,
            httpPort: httpPort,
            mqttPort: mqttPort,
            devices: devices
        )
        options.simulator.migrateAfter = .seconds(migrateAfter)
        options.simulator.tick = .milliseconds(tickMs)
        // Trapped before the start, so a Ctrl+C during it stops the stack once it is up.
        let signals = noTui ? await UnixSignalsSequence(trapping: [.sigint, .sigterm]) : nil
        let stack = try await DemoStack.start(options)
        if let signals {
            FileHandle.standardOutput.write(Data(stack.endpoints.readyLines.map { $0 + "\n" }.joined().utf8))
            FileHandle.standardError.write(
                Data(
                    "admin token: \(dataDir)/admin.token\ndemo: \(devices) devices writing (logs in \(dataDir)/devices); Ctrl+C stops\n"
                        .utf8
                )
            )
            for await _ in signals { break }
        } else {
            do {
                try await ConsoleCommand.console(
                    client: stack.client,
                    label: "demo \(stack.endpoints.http)",
                    readonly: false,
                    start: .reviews(.device)
                )
            } catch {
                await stack.stop()
                throw error
            }
        }
        await stack.stop()
    }
}

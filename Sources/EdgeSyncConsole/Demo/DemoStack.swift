import EdgeSyncModels
import Foundation
import Server

/// The demo's moving parts: the embedded server, and per simulated device its application
/// (a `DeviceSimulator` in this process) and its `edge-agent` process, provisioned the way an
/// operator would: registered through the API, with a password, and a configuration file.
final class DemoStack: Sendable {
    struct Options: Sendable {
        var dataDirectory: String
        var httpPort = 0
        /// 0 picks a free port (a broker may already own 1883 on a laptop).
        var mqttPort = 0
        /// Default 3.
        var devices = 3
        var simulator = DeviceSimulator.Configuration()
    }

    static let names = ["press", "kiln", "chiller", "mixer", "dryer", "conveyor", "boiler", "packer"]

    let server: GovernanceServer
    let endpoints: GovernanceServer.Endpoints
    let client: APIClient
    let agents: [AgentProcess]
    let writers: [Task<Void, Never>]

    private init(
        server: GovernanceServer,
        endpoints: GovernanceServer.Endpoints,
        client: APIClient,
        agents: [AgentProcess],
        writers: [Task<Void, Never>]
    ) {
        self.server = server
        self.endpoints = endpoints
        self.client = client
        self.agents = agents
        self.writers = writers
    }

    static func deviceName(_ index: Int) -> String {
        "\(names[index % names.count])-\(String(format: "%02d", index + 1))"
    }

    static func start(_ options: Options) async throws -> DemoStack {
        let server = try await ConsoleCommand.embeddedServer(
            ServerConfiguration(
                dataDirectory: options.dataDirectory,
                httpPort: options.httpPort,
                mqttPort: options.mqttPort
            )
        )
        let endpoints = try await server.start()
        let client = APIClient(baseURL: endpoints.http, token: server.adminToken)
        var agents: [AgentProcess] = []
        var writers: [Task<Void, Never>] = []
        do {
            let project = try await client.get("/projects", as: PageEnvelope<Project>.self).data.first?.id ?? ""
            // Telemetry reviews suggest auto_create_and_map (docs/spec/governance.md), which the policy must allow.
            _ = try await client.send(
                "PATCH",
                "/projects/\(project)/edge/policy",
                body: Array(#"{"allow_auto_create_device_data_points":true}"#.utf8),
                as: ResourceEnvelope<Policy>.self
            )
            let known = try await client.get("/projects/\(project)/devices?limit=500", as: PageEnvelope<Device>.self)
                .data
            await AgentProcess.stopLeftovers(
                (0..<options.devices).map { configuration(options, device: deviceName($0)) }
            )
            for index in 0..<options.devices {
                let name = deviceName(index)
                let configuration = configuration(options, device: name)
                let directory = configuration.deletingLastPathComponent()
                let simulator = DeviceSimulator(
                    name: name,
                    databasePath: directory.appendingPathComponent("app.db").path,
                    configuration: options.simulator
                )
                let database = try simulator.prepare()
                let device: Device
                if let existing = known.first(where: { $0.name == name }) {
                    device = existing
                } else {
                    device = try await client.registerDevice(
                        CreateDeviceRequest(name: name),
                        base: "/projects/\(project)"
                    )
                }
                let issued = try await client.issueCredentials(
                    .password,
                    deviceID: device.id,
                    base: "/projects/\(project)"
                )
                try writeConfiguration(
                    to: configuration,
                    device: name,
                    password: issued.password ?? "",
                    mqtt: endpoints.mqtt ?? "",
                    database: simulator.databasePath
                )
                writers.append(
                    Task {
                        do { try await simulator.run(database) } catch is CancellationError {} catch {
                            FileHandle.standardError.write(Data("demo: \(name)'s application stopped: \(error)\n".utf8))
                        }
                    }
                )
                agents.append(
                    try AgentProcess(configuration: configuration, log: directory.appendingPathComponent("agent.log"))
                )
            }
        } catch {
            let partial = DemoStack(
                server: server,
                endpoints: endpoints,
                client: client,
                agents: agents,
                writers: writers
            )
            await partial.stop()
            throw error
        }
        return DemoStack(server: server, endpoints: endpoints, client: client, agents: agents, writers: writers)
    }

    /// `<data-dir>/devices/<name>/agent.yaml`; the device's database, state and logs sit beside it.
    static func configuration(_ options: Options, device: String) -> URL {
        URL(fileURLWithPath: options.dataDirectory).appendingPathComponent("devices").appendingPathComponent(device)
            .appendingPathComponent("agent.yaml")
    }

    /// The agent's file: the spec's keys (docs/spec/agent.md), mode 0600 as it holds the password.
    static func writeConfiguration(to url: URL, device: String, password: String, mqtt: String, database: String) throws
    {
        let yaml = """
            # Written by `platform-tui demo`; the same file runs an agent on a real device.
            connection:
              server_url: "\(mqtt)"
              device_id: \(device)
              mqtt: {username: \(device), password: "\(password)"}
            sqlite-replication:
              source_db_path: "\(database)"
              flush_interval: 1s
              snapshot_on_first_run: true
              table_strategies:
                order_events: {strategy: rows}
                device_state: {strategy: rows}
                sensor_timeseries: {strategy: telemetry, ts_column: ts}

            """
        _ = FileManager.default.createFile(
            atPath: url.path,
            contents: Data(yaml.utf8),
            attributes: [.posixPermissions: 0o600]
        )
    }

    /// Applications first (no write is left half-done), then the agents (SIGTERM: they finish
    /// their in-flight batch), then the server.
    func stop() async {
        for writer in writers { writer.cancel() }
        for writer in writers { await writer.value }
        for agent in agents { await agent.stop() }
        await server.stop()
    }
}

import ArgumentParser
import EdgeSyncModels
import Foundation

/// `platform-tui devices list|create|credentials`.
struct DevicesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "Devices: list, register, issue credentials.",
        subcommands: [List.self, Create.self, Credentials.self]
    )

    static func row(_ device: Device) -> [String] {
        [
            device.id, device.name, device.fleetID, device.connected ? "yes" : "no", CLI.time(device.lastSeenAt),
            device.credentialKinds.isEmpty ? "none" : device.credentialKinds.map(\.rawValue).joined(separator: ","),
        ]
    }

    static let columns = ["ID", "NAME", "FLEET", "CONNECTED", "LAST SEEN", "CREDENTIALS"]

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List devices.")
        @OptionGroup var options: CLIOptions
        @Option var page = 1
        @Option var limit = 50

        func run() async throws {
            try await CLI.run(options) { client, base, output in
                let devices = try await client.get(
                    "\(base)/devices\(CLI.query([("page", String(page)), ("limit", String(limit))]))",
                    as: PageEnvelope<Device>.self
                )
                output.list(devices, columns: DevicesCommand.columns, row: DevicesCommand.row)
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a device (its name is its MQTT client id).")
        @OptionGroup var options: CLIOptions
        @Argument(help: "1–64 of A-Z a-z 0-9 . _ -") var name: String
        @Option(help: "Fleet id (default: the project's default fleet).") var fleet: String?

        func run() async throws {
            try await CLI.run(options) { client, base, output in
                let device = try await client.registerDevice(
                    CreateDeviceRequest(name: name, fleetID: fleet),
                    base: base
                )
                output.resource(
                    device,
                    [.fields(Array(zip(DevicesCommand.columns.map { $0.lowercased() }, DevicesCommand.row(device))))]
                )
            }
        }
    }

    struct Credentials: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Issue a password (printed once) or a certificate (written with its key and the CA to a directory)."
        )
        @OptionGroup var options: CLIOptions
        @Argument(help: "Device id or name.") var device: String
        @Option(help: "The kind of credential.") var kind: CredentialKind = .password
        @Option(help: "Where a certificate goes (default ./credentials/<name>).") var out: String?

        func run() async throws {
            try await CLI.run(options) { client, base, output in
                let target = try await DevicesCommand.find(device, client: client, base: base)
                let issued = try await client.issueCredentials(kind, deviceID: target.id, base: base)
                let kept = try ConsoleApp.keep(issued, for: target.name, in: out.map { URL(fileURLWithPath: $0) })
                output.resource(
                    issued,
                    [.fields([("device", target.name), ("kind", kind.rawValue), ("result", kept)])]
                )
            }
        }
    }

    /// By id, else by name.
    static func find(_ reference: String, client: APIClient, base: String) async throws -> Device {
        do {
            return try await client.get("\(base)/devices/\(reference)", as: ResourceEnvelope<Device>.self).data
        } catch ClientError.api(404, _) {
            var page = 1
            while true {
                let devices = try await client.get(
                    "\(base)/devices?limit=500&page=\(page)",
                    as: PageEnvelope<Device>.self
                )
                if let device = devices.data.first(where: { $0.name == reference }) { return device }
                guard page < devices.meta.pageCount else {
                    throw CLIError.notFound("no device with the id or name \(reference)")
                }
                page += 1
            }
        }
    }
}

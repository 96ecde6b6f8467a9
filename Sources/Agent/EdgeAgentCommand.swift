import ArgumentParser
import EdgeSyncModels
import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `edge-agent`: captures changes of an application's SQLite tables and publishes them to the
/// governance server over MQTT.
@main
struct EdgeAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edge-agent",
        abstract: "Mirror an application's SQLite tables to an Edge Sync governance server.",
        discussion: """
            Runs beside an application on an edge device. Triggers capture every committed change of \
            the enrolled tables into a journal; batches go to the server over MQTT QoS 1 \
            (wire format version \(WireLimits.formatVersion)). Without --config the OMEGA_* variables configure it.
            """,
        version: EdgeSyncVersion.string,
        subcommands: [Run.self, Status.self, Check.self, Uninstall.self],
        defaultSubcommand: Run.self
    )
}

/// `--config` and the configuration it yields (exit 2 with the key on a bad one).
struct ConfigOptions: ParsableArguments {
    @Option(help: "YAML configuration file; without it the OMEGA_* environment variables are used.")
    var config: String?

    func load(databaseOverride: String? = nil) throws -> AgentConfiguration {
        do {
            let yaml = try config.map { path -> String in
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw AgentConfigurationError(key: "--config", message: "cannot read \(path)")
                }
                return text
            }
            var configuration = try AgentConfigurationLoader().load(yaml: yaml)
            if let databaseOverride { configuration.sourceDatabasePath = databaseOverride }
            return configuration
        } catch let error as AgentConfigurationError {
            StandardError.write("edge-agent: \(error)")
            throw ExitCode(2)
        }
    }
}

enum OutputFormat: String, ExpressibleByArgument {
    case table
    case json
}

func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

extension EdgeAgentCommand {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Capture and publish until SIGTERM/SIGINT.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "Log lines as text (time level event key=value: message) or json, one per event.")
        var logFormat: AgentLogFormat = .text

        func run() async throws {
            StandardError.ignoreBrokenPipes()
            let configuration = try options.load()
            let agent: EdgeAgent
            let lock: AgentLock
            do {
                lock = try AgentLock(statePath: configuration.resolvedStatePath ?? "")
                agent = try EdgeAgent(
                    configuration: configuration,
                    logger: Logger(label: "edge-agent") { [logFormat] _ in AgentLogHandler(format: logFormat) }
                )
            } catch let error as AgentConfigurationError {
                StandardError.write("edge-agent: \(error)")
                throw ExitCode(2)
            } catch {
                StandardError.write("edge-agent: \(error)")
                throw ExitCode(1)
            }
            defer { withExtendedLifetime(lock) {} }
            let task = Task { try await agent.run() }
            let signals = ShutdownSignals { task.cancel() }
            agent.log(
                .notice,
                "started",
                "publishing \(configuration.sourceDatabasePath!) to \(configuration.serverURL!) as \(configuration.deviceID!)"
            )
            _ = try? await task.value
            signals.cancel()
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "The connection, pending rows, disk free; per table: strategy, cursor, pending, paused, last error."
        )
        @OptionGroup var options: ConfigOptions
        @Option(help: "table or json") var output: OutputFormat = .table

        func run() async throws {
            let status = try AgentInspection.status(try options.load())
            if output == .json { return try printJSON(status) }
            print(
                "connection: \(status.connection)" + (status.connectionSince.map { " since \($0)" } ?? "")
                    + " · pending: \(status.pendingRows) rows, \(status.pendingBytes) bytes"
                    + (status.oldestPendingAgeSeconds.map { ", the oldest seen \($0) s ago" } ?? "")
                    + (status.diskFreeBytes.map { " · disk free: \($0 / 1_048_576) MiB" } ?? "")
            )
            let rows = status.tables
            print(Self.padded("TABLE", 24) + "STRATEGY   PENDING  BYTES      PAUSED  CURSOR / LAST ERROR")
            for row in rows {
                let cells =
                    Self.padded(row.name, 24) + Self.padded(row.strategy, 11) + Self.padded(String(row.pendingRows), 9)
                    + Self.padded(String(row.pendingBytes), 11)
                print(
                    cells + (row.paused ? "yes     " : "no      ") + row.cursor
                        + (row.lastError.map { "  ! " + $0 } ?? "")
                )
            }
        }

        /// `text` cut or filled with spaces to `width` characters (a table column).
        static func padded(_ text: String, _ width: Int) -> String {
            text.count >= width ? String(text.prefix(width)) : text + String(repeating: " ", count: width - text.count)
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate the configuration and list tables, strategies and fingerprints, without connecting."
        )
        @OptionGroup var options: ConfigOptions
        @Option(help: "The source database (enough on its own).") var db: String?
        @Option(help: "table or json") var output: OutputFormat = .table

        func run() async throws {
            let configuration = try options.load(databaseOverride: db)
            guard configuration.sourceDatabasePath != nil else {
                StandardError.write(
                    "edge-agent: configuration: source_db_path: give --db PATH, the config key or OMEGA_SOURCE_DB_PATH"
                )
                throw ExitCode(2)
            }
            let tables: [AgentInspection.CheckedTable]
            do { tables = try AgentInspection.check(configuration) } catch {
                StandardError.write("edge-agent: \(error)")
                throw ExitCode(2)
            }
            let problems = AgentInspection.configurationProblems(configuration, tables: tables)
            if output == .json {
                try printJSON(CheckReport(problems: problems, tables: tables))
            } else {
                for problem in problems { print("! \(problem)") }
                for table in tables {
                    print(
                        "\(table.name)  \(table.strategy)  \(table.schemaHash.prefix(12))  \(table.schemaColumns.columns.map(\.name).joined(separator: ","))"
                    )
                    for problem in table.problems { print("  ! \(problem)") }
                }
            }
            // A problem found is a failed check, so that a deployment script stops on it.
            if !problems.isEmpty || tables.contains(where: { !$0.problems.isEmpty }) { throw ExitCode(1) }
        }

        struct CheckReport: Encodable {
            var problems: [String]
            var tables: [AgentInspection.CheckedTable]
        }
    }

    struct Uninstall: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drop the agent's triggers and journal from the source database."
        )
        @OptionGroup var options: ConfigOptions
        @Option(help: "The source database.") var db: String?

        func run() async throws {
            let configuration = try options.load(databaseOverride: db)
            guard let path = configuration.sourceDatabasePath else { throw ExitCode(2) }
            do {
                let tables = try AgentInspection.uninstall(configuration)
                print("edge-agent: removed capture from \(tables) tables of \(path)")
            } catch {
                StandardError.write("edge-agent: uninstall: \(error)")
                throw ExitCode(1)
            }
        }
    }
}

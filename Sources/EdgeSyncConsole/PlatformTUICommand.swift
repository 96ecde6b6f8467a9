import ArgumentParser
import CCurl
import CNCurses
import EdgeSyncModels
import Foundation

/// `platform-tui`: the operator console (by default on an embedded server); `serve` runs the
/// governance server headless; the other subcommands are the scriptable CLI mode. `--version`
/// reports the C libraries it is linked against, the first thing to check where the console
/// will not start.
struct PlatformTUICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "platform-tui",
        abstract: "Operate Edge Sync: lineages, schema reviews, column actions and mirrored rows.",
        discussion: """
            Without --server it embeds the governance server, so one command runs the whole stack.

            CLI mode (lineages, reviews, rows, devices, policy, events, batches) prints --output table|json|jsonl \
            and exits 0 when it worked, 1 on an error, 2 when something is not found or the usage is wrong.
            """,
        version: "\(EdgeSyncVersion.string) (\(LinkedLibraries.description))",
        subcommands: [
            ConsoleCommand.self, ServeCommand.self, DemoCommand.self, LineagesCommand.self,
            ReviewsCommand.self, RowsCommand.self, DevicesCommand.self,
            PolicyCommand.self, EventsCommand.self, BatchesCommand.self,
        ],
        defaultSubcommand: ConsoleCommand.self
    )
}

enum LinkedLibraries {
    static var description: String {
        let curses = String(cString: curses_version())
        let curl = String(cString: curl_version())
        return "\(curses); \(curl)"
    }
}

/// Runs the command and maps failures to docs/spec/tui.md's exit codes: 0 ok, 1 error, 2 not found /
/// usage (ArgumentParser's own usage errors would exit 64). The `platform-tui` executable calls it.
public enum PlatformTUIMain {
    public static func main() async {
        if let unknown = unknownSubcommand(Array(CommandLine.arguments.dropFirst())) {
            FileHandle.standardError.write(
                Data(
                    "error: unknown subcommand \(unknown) (subcommands: \(subcommands.joined(separator: ", ")))\n".utf8
                )
            )
            exit(2)
        }
        do {
            var command = try PlatformTUICommand.parseAsRoot()
            if var asynchronous = command as? AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch let error as CLIError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            exit(error.exitCode)
        } catch {
            guard PlatformTUICommand.exitCode(for: error) == .validationFailure else {
                PlatformTUICommand.exit(withError: error)
            }
            FileHandle.standardError.write(Data((PlatformTUICommand.fullMessage(for: error) + "\n").utf8))
            exit(2)
        }
    }
}

extension PlatformTUIMain {
    static let subcommands = PlatformTUICommand.configuration.subcommands.map { $0._commandName }

    /// The console, the default subcommand, takes no argument: a first word that names no
    /// subcommand is a mistyped one, not the console's unexpected argument.
    static func unknownSubcommand(_ arguments: [String]) -> String? {
        guard let first = arguments.first, !first.hasPrefix("-") else { return nil }
        return (subcommands + ["help"]).contains(first) ? nil : first
    }
}

import ArgumentParser
import CCurl
import CNCurses
import EdgeSyncModels

/// `platform-tui`: the operator console (by default on an embedded server); `serve` runs the
/// governance server headless. `--version` reports the C libraries it is linked against, the
/// first thing to check where the console will not start.
@main
struct PlatformTUICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "platform-tui",
        abstract: "Operate Edge Sync: lineages, schema reviews, column actions and mirrored rows.",
        discussion: """
            Without --server it embeds the governance server, so one command runs the whole stack.
            """,
        version: "\(EdgeSyncVersion.string) (\(LinkedLibraries.description))",
        subcommands: [ConsoleCommand.self, ServeCommand.self],
        defaultSubcommand: ConsoleCommand.self)
}

enum LinkedLibraries {
    static var description: String {
        let curses = String(cString: curses_version())
        let curl = String(cString: curl_version())
        return "\(curses); \(curl)"
    }
}

import ArgumentParser
import EdgeSyncModels
import Foundation

/// `platform-tui policy get|set`: the project's policy, or a fleet's with `--fleet`.
struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "The governance policy of the project or of a fleet.",
        subcommands: [Get.self, Set.self]
    )

    static func fields(_ policy: Policy) -> [(String, String)] {
        PolicyScreen.fields.indices.map {
            (PolicyScreen.fields[$0], PolicyScreen(policy: policy).value($0, of: policy))
        }
    }

    /// The policy path of the project, or of the fleet named by id or name.
    static func path(fleet reference: String?, client: APIClient, base: String) async throws -> String {
        guard let reference else { return ConsoleLoader.policyPath(nil) }
        let fleets = try await client.get("\(base)/fleets?limit=500", as: PageEnvelope<Fleet>.self).data
        guard let fleet = fleets.first(where: { $0.id == reference }) ?? fleets.first(where: { $0.name == reference })
        else {
            throw CLIError.notFound("no fleet with the id or name \(reference)")
        }
        return ConsoleLoader.policyPath(fleet)
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the policy.")
        @OptionGroup var options: CLIOptions
        @Option(help: "A fleet (id or name) instead of the project.") var fleet: String?

        func run() async throws {
            try await CLI.run(options) { client, base, output in
                let policy = try await client.get(
                    "\(base)\(try await PolicyCommand.path(fleet: fleet, client: client, base: base))",
                    as: ResourceEnvelope<Policy>.self
                ).data
                output.resource(policy, [.fields(PolicyCommand.fields(policy))])
            }
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change policy fields.",
            discussion: "Example: policy set max_pending_rows_per_lineage=500000 allow_additive_continue=true"
        )
        @OptionGroup var options: CLIOptions
        @Option(help: "A fleet (id or name) instead of the project.") var fleet: String?
        @Argument(help: "FIELD=VALUE pairs.") var assignments: [String]

        /// The PATCH body: booleans and whole numbers typed, the rest strings; unknown fields are
        /// refused here, before anything is sent.
        func body() throws -> JSONObject {
            guard !assignments.isEmpty else {
                throw CLIError.usage(
                    "policy set needs FIELD=VALUE (fields: \(PolicyScreen.fields.joined(separator: ", ")))"
                )
            }
            var body: JSONObject = [:]
            for assignment in assignments {
                let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, PolicyScreen.fields.contains(parts[0]) else {
                    throw CLIError.usage(
                        "\(assignment): expected FIELD=VALUE with FIELD one of \(PolicyScreen.fields.joined(separator: ", "))"
                    )
                }
                body[parts[0]] =
                    if let flag = Bool(parts[1]) { .bool(flag) } else if let number = Int64(parts[1]) {
                        .integer(number)
                    } else { .string(parts[1]) }
            }
            return body
        }

        func run() async throws {
            let body = try body()
            try await CLI.run(options) { client, base, output in
                let path = try await PolicyCommand.path(fleet: fleet, client: client, base: base)
                let policy = try await client.send(
                    "PATCH",
                    "\(base)\(path)",
                    body: Array(CanonicalJSON.string(of: .object(body)).utf8),
                    as: ResourceEnvelope<Policy>.self
                ).data
                output.resource(policy, [.fields(PolicyCommand.fields(policy))])
            }
        }
    }
}

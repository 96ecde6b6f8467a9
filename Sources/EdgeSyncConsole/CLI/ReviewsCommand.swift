import ArgumentParser
import EdgeSyncModels
import Foundation

/// `platform-tui reviews list|get|claim|preview|approve|reject|abandon`: device reviews and (with
/// `list --registry`, or by id) registry reviews.
struct ReviewsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reviews",
        abstract: "Schema reviews: list, inspect, claim, preview, approve, reject, abandon.",
        subcommands: [List.self, Get.self, Claim.self, Preview.self, Approve.self, Reject.self, Abandon.self]
    )

    /// A review by id, device or registry (the id says which).
    static func fetch(_ id: String, client: APIClient, base: String) async throws -> (SchemaReviewDetail, ReviewSource)
    {
        do {
            return (
                try await client.get(
                    "\(base)/\(ReviewSource.device.path)/\(id)",
                    as: ResourceEnvelope<SchemaReviewDetail>.self
                ).data, .device
            )
        } catch ClientError.api(404, _) {
            return (
                try await client.get(
                    "\(base)/\(ReviewSource.registry.path)/\(id)",
                    as: ResourceEnvelope<SchemaReviewDetail>.self
                ).data, .registry
            )
        }
    }

    /// Posts a transition with the review's current action_version unless one is given; prints the review.
    static func transition(
        _ id: String,
        _ name: String,
        options: CLIOptions,
        actionVersion: Int?,
        body: @escaping (Int) throws -> Encodable & Sendable
    ) async throws {
        try await CLI.run(options) { client, base, output in
            let (detail, source) = try await fetch(id, client: client, base: base)
            let payload = try JSONEncoder().encode(body(actionVersion ?? detail.review.actionVersion))
            let review = try await client.send(
                "POST",
                "\(base)/\(source.path)/\(id)/\(name)",
                body: Array(payload),
                as: ResourceEnvelope<SchemaReview>.self
            ).data
            output.resource(review, [.fields(summary(review))])
        }
    }

    static func summary(_ review: SchemaReview) -> [(String, String)] {
        [
            ("id", review.id), ("scope", review.scope.rawValue), ("device", review.deviceName ?? "-"),
            ("table", review.sourceTable),
            ("schema", review.schemaHash),
            ("classification", "\(review.classification.rawValue): \(review.classificationReason)"),
            ("status", review.status.rawValue + (review.reason.map { " (\($0))" } ?? "")),
            ("action version", String(review.actionVersion)),
            ("claimed by", review.claimedBy ?? "-"), ("staged rows", String(review.stagedRowCount)),
        ]
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List reviews.")
        @OptionGroup var options: CLIOptions
        @Flag(help: "Registry reviews (project or fleet scope) instead of device reviews.") var registry = false
        @Option(help: "Only reviews in this status (open: queued and in_review).") var status: ReviewStatusFilter?
        @Option(help: "Only this device (id).") var device: String?
        @Option(help: "Only this lineage (id).") var lineage: String?
        @Option var page = 1
        @Option var limit = 50

        func run() async throws {
            try await CLI.run(options) { client, base, output in
                let source: ReviewSource = registry ? .registry : .device
                let query = CLI.query([
                    ("status", status?.rawValue), ("device_id", device), ("lineage_id", lineage),
                    ("page", String(page)),
                    ("limit", String(limit)),
                ])
                let reviews = try await client.get(
                    "\(base)/\(source.path)\(query)",
                    as: PageEnvelope<SchemaReview>.self
                )
                output.list(
                    reviews,
                    columns: [
                        "ID", registry ? "SCOPE" : "DEVICE", "TABLE", "CLASSIFICATION", "STATUS", "STAGED", "CREATED",
                        "CLAIMED BY", "VERSION",
                    ]
                ) {
                    [
                        $0.id, $0.deviceName ?? $0.fleetID.map { "fleet \($0)" } ?? $0.scope.rawValue, $0.sourceTable,
                        $0.classification.rawValue,
                        $0.status.rawValue, String($0.stagedRowCount), CLI.time($0.createdAt), $0.claimedBy ?? "-",
                        String($0.actionVersion),
                    ]
                }
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One review with its column diff and suggested actions."
        )
        @OptionGroup var options: CLIOptions
        @Argument(help: "Review id.") var id: String

        func run() async throws {
            try await CLI.run(options) { client, base, output in
                let (detail, _) = try await fetch(id, client: client, base: base)
                let suggested = Dictionary(
                    detail.suggestedActions.map { ($0.sourceColumnName, $0) },
                    uniquingKeysWith: { first, _ in first }
                )
                output.resource(
                    detail,
                    [
                        .fields(summary(detail.review) + [("previous schema", detail.previousSchemaHash ?? "-")]),
                        .table(
                            title: "Columns",
                            columns: ["COLUMN", "CHANGE", "TYPE", "PK", "SUGGESTED", "TARGET"],
                            rows: detail.diff.map { column in
                                let action = suggested[column.name]
                                return [
                                    column.name, column.marker.rawValue, column.affinity?.rawValue ?? "-",
                                    column.pkOrdinal.map { $0 > 0 ? String($0) : "" } ?? "",
                                    action?.action.rawValue ?? "-",
                                    action?.effectiveMirrorColumnName ?? action?.deviceDataPointID ?? "-",
                                ]
                            }
                        ),
                    ]
                )
            }
        }
    }

    struct Claim: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Claim a queued review (you then decide it).")
        @OptionGroup var options: CLIOptions
        @Argument(help: "Review id.") var id: String
        @Option(help: "The action_version you saw (default: the current one).") var actionVersion: Int?

        func run() async throws {
            try await ReviewsCommand.transition(id, "claim", options: options, actionVersion: actionVersion) {
                ReviewTransitionRequest(actionVersion: $0)
            }
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve a claimed review with column actions.",
            discussion: """
                FILE holds the column actions as JSON: an array of {source_column_name, action, mirror_column_name?, \
                device_data_point_id?}, or the whole approve body ({column_actions, sync_authority?}). `-` reads stdin.
                """
        )
        @OptionGroup var options: CLIOptions
        @Argument(help: "Review id.") var id: String
        @Option(help: "Column actions file (JSON), or - for stdin.") var actions: String?
        @Flag(help: "Approve the server's suggested actions instead of --actions.") var suggested = false
        @Option(help: "Who owns the rows from now on.") var syncAuthority: SyncAuthority?
        @Flag(help: "Decide a review claimed by someone else (admin).") var force = false
        @Option(help: "The action_version you saw (default: the current one).") var actionVersion: Int?

        func validate() throws {
            guard (actions != nil) != suggested else {
                throw ValidationError("approve needs --actions FILE or --suggested (one of them)")
            }
        }

        func run() async throws {
            let file = try actions.map(Self.read)
            try await CLI.run(options) { client, base, output in
                let (detail, source) = try await ReviewsCommand.fetch(id, client: client, base: base)
                let columnActions = file?.columnActions ?? detail.suggestedActions
                let body = ApproveReviewRequest(
                    actionVersion: actionVersion ?? detail.review.actionVersion,
                    columnActions: columnActions,
                    syncAuthority: syncAuthority ?? file?.syncAuthority,
                    force: force ? true : nil
                )
                let review = try await client.send(
                    "POST",
                    "\(base)/\(source.path)/\(id)/approve",
                    body: Array(try JSONEncoder().encode(body)),
                    as: ResourceEnvelope<SchemaReview>.self
                ).data
                output.resource(review, [.fields(ReviewsCommand.summary(review))])
            }
        }

        /// What an actions file may hold.
        struct ActionsFile: Decodable {
            var columnActions: [ColumnAction]
            var syncAuthority: SyncAuthority?

            enum CodingKeys: String, CodingKey {
                case columnActions = "column_actions"
                case syncAuthority = "sync_authority"
            }
        }

        static func read(_ path: String) throws -> ActionsFile {
            let data: Data
            if path == "-" {
                data = FileHandle.standardInput.readDataToEndOfFile()
            } else {
                guard let contents = FileManager.default.contents(atPath: path) else {
                    throw CLIError.file("cannot read \(path)")
                }
                data = contents
            }
            // The file's first character says which of the two shapes it means.
            let isList = data.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) } == UInt8(ascii: "[")
            do {
                if isList {
                    return ActionsFile(columnActions: try JSONDecoder().decode([ColumnAction].self, from: data))
                }
                return try JSONDecoder().decode(ActionsFile.self, from: data)
            } catch let error as DecodingError {
                let shape = isList ? "a list of column actions" : "an approve body ({column_actions, sync_authority?})"
                throw CLIError.file("\(path), read as \(shape): \(DecodingProblem(error))")
            }
        }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reject a claimed review; the lineage stays paused.")
        @OptionGroup var options: CLIOptions
        @Argument(help: "Review id.") var id: String
        @Option(help: "Why (kept on the review and in the event).") var reason: String?
        @Flag(help: "Decide a review claimed by someone else (admin).") var force = false
        @Option(help: "The action_version you saw (default: the current one).") var actionVersion: Int?

        func run() async throws {
            try await ReviewsCommand.transition(id, "reject", options: options, actionVersion: actionVersion) {
                ReviewTransitionRequest(actionVersion: $0, reason: reason, force: force ? true : nil)
            }
        }
    }

    struct Abandon: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close a review without a decision.")
        @OptionGroup var options: CLIOptions
        @Argument(help: "Review id.") var id: String
        @Option(help: "Why.") var reason: String?
        @Option(help: "The action_version you saw (default: the current one).") var actionVersion: Int?

        func run() async throws {
            try await ReviewsCommand.transition(id, "abandon", options: options, actionVersion: actionVersion) {
                ReviewTransitionRequest(actionVersion: $0, reason: reason)
            }
        }
    }
}

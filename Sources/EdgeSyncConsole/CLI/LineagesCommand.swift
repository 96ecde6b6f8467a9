import ArgumentParser
import EdgeSyncModels
import Server

/// `platform-tui lineages list|get`.
struct LineagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lineages",
        abstract: "Lineages: one per (device, table).",
        subcommands: [List.self, Get.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List lineages, a page at a time.")
        @OptionGroup var options: CLIOptions
        @Option(help: "Only lineages in this status.") var status: LineageStatus?
        @Option(help: "Only this device (id).") var device: String?
        @Option(help: "Only this source table.") var table: String?
        @Option(help: "Substring of the device name or table.") var q: String?
        @Option(help: "Order of the list.") var sort: LineageFilter.Sort?
        @Option var page = 1
        @Option var limit = 50

        func run() async throws {
            try await CLI.run(options) { client, base, output in
                let query = CLI.query([
                    ("status", status?.rawValue), ("device_id", device), ("source_table", table), ("q", q),
                    ("sort", sort?.rawValue),
                    ("page", String(page)), ("limit", String(limit)),
                ])
                let lineages = try await client.get("\(base)/edge/lineages\(query)", as: PageEnvelope<Lineage>.self)
                output.list(
                    lineages,
                    columns: [
                        "ID", "DEVICE", "TABLE", "STRATEGY", "STATUS", "PAUSE REASON", "STAGED", "MIRRORED",
                        "LAST BATCH", "ERRORS",
                    ]
                ) {
                    [
                        $0.id, $0.deviceName, $0.sourceTable, $0.strategy.rawValue, $0.status.rawValue,
                        $0.pauseReason?.rawValue ?? "-",
                        String($0.stagedRowCount), String($0.mirroredRowCount), CLI.time($0.lastBatchAt),
                        String($0.materializationFailureCount),
                    ]
                }
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One lineage: schema versions, bindings, replay, pending controls, rejections."
        )
        @OptionGroup var options: CLIOptions
        @Argument(help: "Lineage id.") var id: String

        func run() async throws {
            try await CLI.run(options) { client, base, output in
                let detail = try await client.get(
                    "\(base)/edge/lineages/\(id)",
                    as: ResourceEnvelope<LineageDetail>.self
                ).data
                let lineage = detail.lineage
                output.resource(
                    detail,
                    [
                        .fields([
                            ("id", lineage.id), ("device", "\(lineage.deviceName) (\(lineage.deviceID))"),
                            ("table", lineage.sourceTable),
                            ("strategy", lineage.strategy.rawValue),
                            (
                                "status",
                                lineage.status.rawValue + (lineage.pauseReason.map { " (\($0.rawValue))" } ?? "")
                            ),
                            ("sync authority", lineage.syncAuthority.rawValue), ("schema", lineage.schemaHash ?? "-"),
                            ("mirror", lineage.mirrorTable ?? "-"),
                            ("staged rows", String(lineage.stagedRowCount)),
                            ("mirrored rows", String(lineage.mirroredRowCount)),
                            ("materialization failures", String(lineage.materializationFailureCount)),
                            ("last error", lineage.lastMaterializationError ?? "-"),
                            (
                                "open review",
                                detail.openReviewID ?? detail.openRegistryReviewID.map { "\($0) (registry)" } ?? "-"
                            ),
                            (
                                "replay",
                                detail.replayIntent.map { "\($0.state.rawValue) \($0.replayedRows)/\($0.totalRows)" }
                                    ?? "-"
                            ),
                        ]),
                        .table(
                            title: "Schema versions",
                            columns: ["SCHEMA", "CLASSIFICATION", "DECISION", "FIRST SEEN", "APPROVED"],
                            rows: detail.schemaVersions.map {
                                [
                                    $0.schemaHash, $0.classification.rawValue, $0.decision.rawValue,
                                    CLI.time($0.firstSeenAt), CLI.time($0.approvedAt),
                                ]
                            }
                        ),
                        .table(
                            title: "Column bindings",
                            columns: ["SOURCE", "ACTION", "TARGET"],
                            rows: detail.bindings.map {
                                [
                                    $0.sourceColumnName, $0.action.rawValue,
                                    $0.effectiveMirrorColumnName ?? $0.deviceDataPointID ?? "-",
                                ]
                            }
                        ),
                        .table(
                            title: "Pending controls",
                            columns: ["ID", "KIND", "SENT", "LAST SENT"],
                            rows: detail.pendingControls.map {
                                [$0.id, $0.kind.rawValue, String($0.sentCount), CLI.time($0.lastSentAt)]
                            }
                        ),
                        .table(
                            title: "Recent rejected batches",
                            columns: ["RECEIVED", "BATCH", "ROWS", "CODE"],
                            rows: detail.recentRejections.map {
                                [
                                    CLI.time($0.receivedAt), $0.batchID ?? "-", String($0.rowCount),
                                    $0.rejectionCode?.rawValue ?? "-",
                                ]
                            }
                        ),
                    ]
                )
            }
        }
    }
}

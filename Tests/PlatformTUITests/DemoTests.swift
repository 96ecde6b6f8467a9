import EdgeSyncModels
import Foundation
import TestSupport
import Testing

@testable import EdgeSyncConsole

/// `platform-tui demo --no-tui` for a bounded time: every simulated device's lineages and
/// reviews appear over the API, the migration re-queues `order_events` with its new column,
/// rows keep arriving once a review is approved, and SIGINT stops everything (agents too).
@Suite("Demo", .serialized)
struct DemoTests {
    @Test func headlessDemoRunsTheWholeStack() async throws {
        try await Turns.heavyProcesses.run { try await self.headlessDemoRunsTheWholeStackSteps() }
    }

    func headlessDemoRunsTheWholeStackSteps() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "edgesync-demo-\(UUID().uuidString)"
        )
        let demo = try ProcessRunner.start(
            ConsoleTmuxTests.binary,
            ["demo", "--no-tui", "--data-dir", directory.path, "--migrate-after", "4", "--tick-ms", "1000"]
        )
        let started = ContinuousClock.now
        while !demo.output().stdout.contains("mqtt: "), ContinuousClock.now < started + .seconds(30) {
            try await Task.sleep(for: .milliseconds(50))
        }
        let ready = demo.output()
        let http = try #require(
            ready.stdout.split(separator: "\n").first { $0.hasPrefix("http: ") }.map { String($0.dropFirst(6)) },
            "\(ready.stderr)"
        )
        let token = try String(contentsOf: directory.appendingPathComponent("admin.token"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let client = APIClient(baseURL: http, token: token)
        let project = try #require(try await client.get("/projects", as: PageEnvelope<Project>.self).data.first?.id)
        let base = "/projects/\(project)"

        func eventually(_ what: String, within seconds: Int = 30, _ condition: () async throws -> Bool) async throws {
            let deadline = ContinuousClock.now + .seconds(seconds)
            while try await !condition() {
                guard ContinuousClock.now < deadline else {
                    Issue.record("never: \(what)")
                    return
                }
                try await Task.sleep(for: .milliseconds(200))
            }
        }

        let devices = try await client.get("\(base)/devices", as: PageEnvelope<Device>.self).data
        #expect(Set(devices.map(\.name)) == ["press-01", "kiln-02", "chiller-03"])
        // The agents keep their MQTT sessions up: the devices say connected, with a last-seen time.
        try await eventually("the 3 devices connected") {
            let devices = try await client.get("\(base)/devices", as: PageEnvelope<Device>.self).data
            let summary = try await client.get("\(base)/edge/summary", as: ResourceEnvelope<EdgeSummary>.self).data
            return devices.allSatisfy { $0.connected && $0.lastSeenAt != nil } && summary.devices.connected == 3
        }
        try await eventually("3 devices × 3 tables of lineages") {
            try await client.get("\(base)/edge/lineages", as: PageEnvelope<Lineage>.self).meta.total == 9
        }
        try await eventually("a queued review for every lineage") {
            try await client.get("\(base)/edge/schema-reviews?status=queued", as: PageEnvelope<SchemaReview>.self).meta
                .total == 9
        }
        // After the migration each device's order_events review names the new column.
        try await eventually("order_events re-queued with discount_cents on every device") {
            let queued = try await client.get(
                "\(base)/edge/schema-reviews?status=queued&limit=50",
                as: PageEnvelope<SchemaReview>.self
            ).data
            var migrated = 0
            for review in queued where review.sourceTable == "order_events" {
                let detail = try await client.get(
                    "\(base)/edge/schema-reviews/\(review.id)",
                    as: ResourceEnvelope<SchemaReviewDetail>.self
                ).data
                if detail.diff.contains(where: { $0.name == "discount_cents" }) { migrated += 1 }
            }
            return migrated == 3
        }

        // Approve one device's telemetry as suggested: readings land and keep landing.
        let telemetry = try #require(
            try await client.get(
                "\(base)/edge/schema-reviews?status=queued&limit=50",
                as: PageEnvelope<SchemaReview>.self
            )
            .data.first { $0.sourceTable == "sensor_timeseries" }
        )
        let claimed = try await client.send(
            "POST",
            "\(base)/edge/schema-reviews/\(telemetry.id)/claim",
            body: Array(#"{"action_version":\#(telemetry.actionVersion)}"#.utf8),
            as: ResourceEnvelope<SchemaReview>.self
        ).data
        let detail = try await client.get(
            "\(base)/edge/schema-reviews/\(telemetry.id)",
            as: ResourceEnvelope<SchemaReviewDetail>.self
        ).data
        let approval = try JSONEncoder().encode(
            ApproveReviewRequest(actionVersion: claimed.actionVersion, columnActions: detail.suggestedActions)
        )
        _ = try await client.send(
            "POST",
            "\(base)/edge/schema-reviews/\(telemetry.id)/approve",
            body: Array(approval),
            as: ResourceEnvelope<SchemaReview>.self
        )
        let lineageID = try #require(telemetry.lineageID)
        func mirrored() async throws -> Int64 {
            try await client.get("\(base)/edge/lineages/\(lineageID)", as: ResourceEnvelope<LineageDetail>.self).data
                .lineage.mirroredRowCount
        }
        var first: Int64 = 0
        try await eventually("the approved series fills") {
            first = try await mirrored()
            return first > 0
        }
        try await eventually("rows keep arriving") { try await mirrored() > first }

        kill(demo.pid, SIGINT)
        let ended = await demo.wait(timeout: .seconds(20))
        #expect(ended.status == 0, "\(ended.stderr)")
        let agents = try FileManager.default.contentsOfDirectory(atPath: "/proc").compactMap { Int32($0) }.filter {
            pid in
            String(decoding: FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data(), as: UTF8.self)
                .contains(directory.path)
        }
        #expect(agents.isEmpty, "the demo's agents stop with it")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("http.url").path))
    }
}

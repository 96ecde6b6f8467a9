import EdgeSyncModels
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Server

/// Every route of the read API through HummingbirdTesting, with a real store behind it.
@Suite("HTTP API: read routes")
struct APIRouterTests {
    typealias Harness = APIHarness

    @Test func probesNeedNoToken() async throws {
        let harness = try await Harness.make()
        #expect(try await harness.get("/healthz", token: "none")["status"] == .string("ok"))
        #expect(try await harness.get("/readyz", token: "none")["status"] == .string("ready"))
    }

    @Test func authenticationAndScopes() async throws {
        let harness = try await Harness.make()
        let missing = try await harness.error("\(harness.base)/edge/lineages", token: "none")
        #expect(missing.0 == .unauthorized && missing.1.code == .unauthorized)
        var bogus = harness
        bogus.tokens = ["x": "es_" + String(repeating: "0", count: 64)]
        #expect(try await bogus.error("\(harness.base)/edge/lineages", token: "x").1.code == .unauthorized)
        let lineageID = try #require(
            try await harness.get("\(harness.base)/edge/lineages", as: PageEnvelope<Lineage>.self).data.first?.id
        )
        let forbidden = try await harness.error("\(harness.base)/edge/lineages/\(lineageID)/staged-rows")
        #expect(forbidden.0 == .forbidden && forbidden.1.code == .forbidden)
        let staged = try await harness.get(
            "\(harness.base)/edge/lineages/\(lineageID)/staged-rows",
            token: "mirror",
            as: PageEnvelope<StagedRow>.self
        )
        #expect(staged.meta.source == "staged" && staged.meta.total == staged.data.count)
        #expect(
            try await harness.get(
                "\(harness.base)/edge/lineages/\(lineageID)/staged-rows",
                token: "admin",
                as: PageEnvelope<StagedRow>.self
            ).data.count > 0
        )
    }

    @Test func lineagesFilterSortAndPage() async throws {
        let harness = try await Harness.make()
        let all = try await harness.get("\(harness.base)/edge/lineages", as: PageEnvelope<Lineage>.self)
        #expect(all.meta == PageMeta(page: 1, limit: 50, total: 2))
        #expect(Set(all.data.map(\.sourceTable)) == ["device_state", "temps"])
        let paused = try await harness.get(
            "\(harness.base)/edge/lineages?status=paused",
            as: PageEnvelope<Lineage>.self
        )
        #expect(paused.meta.total == 2)
        #expect(
            try await harness.get("\(harness.base)/edge/lineages?status=active", as: PageEnvelope<Lineage>.self).meta
                .total == 0
        )
        #expect(
            try await harness.get("\(harness.base)/edge/lineages?q=TEMP", as: PageEnvelope<Lineage>.self).data.map(
                \.sourceTable
            ) == ["temps"]
        )
        #expect(
            try await harness.get("\(harness.base)/edge/lineages?q=pump", as: PageEnvelope<Lineage>.self).meta.total
                == 2
        )
        #expect(
            try await harness.get("\(harness.base)/edge/lineages?q=!TEMP", as: PageEnvelope<Lineage>.self).data.map(
                \.sourceTable
            ) == ["device_state"],
            "a leading ! inverts the filter"
        )
        #expect(
            try await harness.get("\(harness.base)/edge/lineages?source_table=temps", as: PageEnvelope<Lineage>.self)
                .meta.total == 1
        )
        let staged = try await harness.get("\(harness.base)/edge/lineages?sort=staged", as: PageEnvelope<Lineage>.self)
        #expect(staged.data.map(\.stagedRowCount) == [3, 2])
        let byDevice = try await harness.get(
            "\(harness.base)/edge/lineages?sort=device",
            as: PageEnvelope<Lineage>.self
        )
        #expect(byDevice.data.map(\.sourceTable) == ["device_state", "temps"])
        let second = try await harness.get(
            "\(harness.base)/edge/lineages?sort=device&limit=1&page=2",
            as: PageEnvelope<Lineage>.self
        )
        #expect(second.meta == PageMeta(page: 2, limit: 1, total: 2) && second.data.map(\.sourceTable) == ["temps"])
        #expect(
            try await harness.get(
                "\(harness.base)/edge/lineages?device_id=\(harness.fixture.device.id)",
                as: PageEnvelope<Lineage>.self
            ).meta.total == 2
        )
        let detail = try await harness.get(
            "\(harness.base)/edge/lineages/\(staged.data[0].id)",
            as: ResourceEnvelope<LineageDetail>.self
        ).data
        #expect(detail.schemaVersions.count == 1 && detail.openReviewID != nil)
    }

    /// `q` on staged rows looks in each row's key and values as JSON, ignoring case; `!` inverts.
    @Test func stagedRowsFilterByText() async throws {
        let harness = try await Harness.make()
        let lineage = try #require(
            try await harness.get(
                "\(harness.base)/edge/lineages?source_table=device_state",
                as: PageEnvelope<Lineage>.self
            ).data.first
        )
        for (query, modes) in [("", ["m1", "m2", "m3"]), ("M2", ["m2"]), ("!m2", ["m1", "m3"]), ("zz", [])] {
            let staged = try await harness.get(
                "\(harness.base)/edge/lineages/\(lineage.id)/staged-rows?q=\(query)",
                token: "mirror",
                as: PageEnvelope<StagedRow>.self
            )
            #expect(staged.data.map { $0.row?["mode"] } == modes.map { .string($0) }, "\(query)")
            #expect(staged.meta.total == modes.count, "\(query)")
        }
    }

    /// A text filter holding a NUL character or an unpaired surrogate's bytes is refused on every
    /// list, whatever the store (PostgreSQL's text cannot hold a NUL).
    @Test func aTextFilterWithANULIsA400() async throws {
        let harness = try await Harness.make()
        let lineage = try #require(
            try await harness.get("\(harness.base)/edge/lineages", as: PageEnvelope<Lineage>.self).data.first
        )
        for path in [
            "edge/lineages", "edge/schema-reviews", "edge/registry", "edge/registry-reviews", "devices",
            "edge/lineages/\(lineage.id)/staged-rows", "edge/lineages/\(lineage.id)/mirror-rows",
        ] {
            let (status, error) = try await harness.error("\(harness.base)/\(path)?q=a%00b", token: "mirror")
            #expect(status == .badRequest && error.code == .badRequest, "\(path): \(status)")
        }
    }

    @Test func badInputIsA400NamingTheParameter() async throws {
        let harness = try await Harness.make()
        for query in ["status=sleeping", "limit=0", "limit=501", "page=0", "page=x", "sort=random"] {
            let (status, error) = try await harness.error("\(harness.base)/edge/lineages?\(query)")
            #expect(status == .badRequest && error.code == .badRequest, "\(query)")
        }
        #expect(try await harness.error("\(harness.base)/edge/batches?outcome=maybe").1.code == .badRequest)
        #expect(try await harness.error("\(harness.base)/edge/batches?code=nope").1.code == .badRequest)
        #expect(try await harness.error("\(harness.base)/events?since=yesterday").1.code == .badRequest)
    }

    @Test func unknownThingsAre404s() async throws {
        let harness = try await Harness.make()
        for path in [
            "/core/api/v1/projects/nope/edge/lineages", "\(harness.base)/edge/lineages/nope",
            "\(harness.base)/edge/schema-reviews/nope",
            "\(harness.base)/devices/nope", "\(harness.base)/edge/lineages/nope/staged-rows",
            "/core/api/v1/nothing-here",
        ] {
            let (status, error) = try await harness.error(path, token: "admin")
            #expect(status == .notFound && error.code == .notFound, "\(path)")
        }
    }

    @Test func ledgerWithFiltersAndEntryFields() async throws {
        let harness = try await Harness.make()
        let ledger = try await harness.get("\(harness.base)/edge/batches", as: PageEnvelope<BatchLedgerEntry>.self)
        #expect(ledger.data.map(\.outcome) == [.staged, .staged, .rejected])
        #expect(ledger.data.map(\.topicSuffix) == ["sync/rows/batch", "sync/telemetry/batch", "sync/telemetry/batch"])
        let raw = try await harness.get("\(harness.base)/edge/batches?outcome=rejected")
        let entry = try #require(raw["data"]?.arrayValue?.first?.objectValue)
        for field in [
            "id", "received_at", "device_id", "device_name", "source_table", "topic_suffix", "batch_id", "kind",
            "row_count",
            "bytes", "outcome", "rejection_code",
        ] {
            #expect(entry[field] != nil, "\(field)")
        }
        #expect(entry["rejection_code"] == .string("row_count_mismatch"))
        #expect(
            try await harness.get(
                "\(harness.base)/edge/batches?code=row_count_mismatch",
                as: PageEnvelope<BatchLedgerEntry>.self
            ).meta.total == 1
        )
        let lineageID = try #require(ledger.data[0].lineageID)
        let perLineage = try await harness.get(
            "\(harness.base)/edge/lineages/\(lineageID)/batches",
            as: PageEnvelope<BatchLedgerEntry>.self
        )
        #expect(perLineage.data.count == 1 && perLineage.data[0].sourceTable == "device_state")
        #expect(
            try await harness.get(
                "\(harness.base)/edge/batches?lineage_id=\(lineageID)",
                as: PageEnvelope<BatchLedgerEntry>.self
            ).meta.total == 1
        )
    }

    @Test func reviewsAndTheirDetail() async throws {
        let harness = try await Harness.make()
        let reviews = try await harness.get(
            "\(harness.base)/edge/schema-reviews?status=queued",
            as: PageEnvelope<SchemaReview>.self
        )
        #expect(reviews.meta.total == 2)
        #expect(
            try await harness.get(
                "\(harness.base)/edge/schema-reviews?status=approved",
                as: PageEnvelope<SchemaReview>.self
            ).meta.total == 0
        )
        let rows = try #require(reviews.data.first { $0.strategy == .rows })
        let detail = try await harness.get(
            "\(harness.base)/edge/schema-reviews/\(rows.id)",
            as: ResourceEnvelope<SchemaReviewDetail>.self
        ).data
        #expect(detail.review.classification == .ambiguous && detail.columns?.map(\.name) == ["id", "mode"])
        #expect(detail.diff.allSatisfy { $0.marker == .added } && detail.suggestedActions.count == 2)
        let telemetry = try #require(reviews.data.first { $0.strategy == .telemetry })
        let unknown = try await harness.get(
            "\(harness.base)/edge/schema-reviews/\(telemetry.id)",
            as: ResourceEnvelope<SchemaReviewDetail>.self
        ).data
        // Without schema_columns the columns are inferred from the first staged row.
        #expect(unknown.review.classification == .unknown && unknown.columns?.map(\.declTypeAffinity) == [.real])
        // `q` matches the device's name or the table, ignoring case; `!` inverts it.
        for (query, tables) in [
            ("TEMP", ["temps"]), ("!temps", ["device_state"]), ("PUMP-7", ["device_state", "temps"]),
        ] {
            let matched = try await harness.get(
                "\(harness.base)/edge/schema-reviews?status=queued&q=\(query)",
                as: PageEnvelope<SchemaReview>.self
            )
            #expect(
                Set(matched.data.map(\.sourceTable)) == Set(tables) && matched.meta.total == tables.count,
                "\(query)"
            )
        }
    }

    @Test func eventsHistoryWithFilters() async throws {
        let harness = try await Harness.make()
        let events = try await harness.get("\(harness.base)/events", as: PageEnvelope<Event>.self)
        #expect(events.data.map(\.id) == events.data.map(\.id).sorted())
        #expect(events.data.contains { $0.kind == .batchRejected })
        let queued = try await harness.get(
            "\(harness.base)/events?kind=edge_schema_review.queued",
            as: PageEnvelope<Event>.self
        )
        #expect(queued.meta.total == 2)
        // Names for people beside the ids: the device and the lineage's table.
        #expect(
            queued.data.allSatisfy { $0.deviceName == "pump-7" && $0.sourceTable != nil && $0.lineageID != nil },
            "\(queued.data)"
        )
        let since = try await harness.get(
            "\(harness.base)/events?since=\(events.data[2].id)",
            as: PageEnvelope<Event>.self
        )
        #expect(since.data.first?.id == events.data[3].id)
    }

    @Test func projectsAndDevices() async throws {
        let harness = try await Harness.make()
        let projects = try await harness.get("/core/api/v1/projects", as: PageEnvelope<Project>.self)
        #expect(projects.data.map(\.topicSlug) == ["dev"])
        let devices = try await harness.get("\(harness.base)/devices", as: PageEnvelope<Device>.self)
        #expect(devices.data.map(\.name) == ["pump-7"])
        let device = try await harness.get(
            "\(harness.base)/devices/\(devices.data[0].id)",
            as: ResourceEnvelope<Device>.self
        )
        #expect(device.data.name == "pump-7")
        for (query, total) in [("PUMP", 1), ("!pump", 0), ("valve", 0), (String(devices.data[0].id.prefix(8)), 1)] {
            let matched = try await harness.get("\(harness.base)/devices?q=\(query)", as: PageEnvelope<Device>.self)
            #expect(matched.meta.total == total, "\(query)")
        }
    }
}

import EdgeSyncModels
import Foundation
import HTTPTypes
import Testing

@testable import Server

/// Paging parameters at and past their limits: a clear 400, never a trap (one GET with
/// `page=18446744073709553` used to stop the server with an arithmetic overflow).
@Suite("Paging limits")
struct PagingLimitsTests {
    @Test func extremePagesAreRefusedOnEveryListRoute() async throws {
        let flow = try await ReviewFlowTests.Flow.make()
        let base = flow.base
        let lineage = flow.rowsLineage
        let lists = [
            "\(base)/edge/lineages", "\(base)/edge/lineages/\(lineage)/staged-rows",
            "\(base)/edge/lineages/\(lineage)/batches", "\(base)/edge/lineages/\(lineage)/mirror-rows",
            "\(base)/edge/batches", "\(base)/edge/schema-reviews", "\(base)/edge/registry",
            "\(base)/edge/registry-reviews", "\(base)/edge/coalesced-mirrors", "\(base)/events",
            "\(base)/devices", "\(base)/fleets", "\(base)/data-points", "/core/api/v1/tokens",
        ]
        let refused = [
            "page=18446744073709553&limit=500", "page=9223372036854775807", "page=9223372036854775808",
            "page=0", "page=-1", "page=abc", "limit=0", "limit=501", "limit=-9223372036854775808",
            "page=18014398509481985&limit=512",
        ]
        for path in lists {
            for query in refused {
                let reply = try await flow.harness.send(.get, "\(path)?\(query)", token: "admin")
                #expect(reply.status == .badRequest, "\(path)?\(query): \(reply.status)")
                #expect(reply.json?["error"]?["code"] == .string("bad_request"), "\(path)?\(query)")
            }
            // The last page whose offset fits is a valid, empty page.
            let last = try await flow.harness.send(.get, "\(path)?page=\(Int.max / 500)&limit=500", token: "admin")
            #expect(last.status == .ok, "\(path): \(String(decoding: last.body, as: UTF8.self))")
            #expect(last.json?["data"]?.arrayValue?.isEmpty == true, "\(path)")
        }
    }

    @Test func anOversizedBodyIsA413() async throws {
        let harness = try await APIHarness.make()
        let body = #"{"name":""# + String(repeating: "x", count: 3 << 20) + #""}"#
        let reply = try await harness.send(.post, "\(harness.base)/devices", body: body)
        #expect(reply.status == .contentTooLarge, "\(reply.status)")
        #expect(reply.json?["error"]?["code"] == .string("payload_too_large"))
    }

    @Test func aStreamOfNoEventsIsRefused() async throws {
        let harness = try await APIHarness.make()
        for value in ["0", "-1", "-9223372036854775808", "x"] {
            let reply = try await harness.send(.get, "\(harness.base)/events/stream?max_events=\(value)", token: "read")
            #expect(reply.status == .badRequest, "max_events=\(value): \(reply.status)")
        }
    }

    @Test func anOffsetBuiltInCodeSaturates() {
        #expect(PageRequest(page: Int.max, limit: 500).offset == Int.max)
        #expect(PageRequest(page: 3, limit: 50).offset == 100)
    }
}

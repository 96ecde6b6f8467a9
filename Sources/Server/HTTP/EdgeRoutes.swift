import EdgeSyncModels
import Hummingbird

/// Read routes of the edge resources under `/core/api/v1/projects/{project_id}`.
struct EdgeRoutes: ProjectRoutes {
    let store: any GovernanceStore

    func register(on group: RouterGroup<EdgeRequestContext>) {
        group.get("edge/summary") { _, context in
            let principal = try context.require(.read)
            return ResourceEnvelope(
                try await store.summary(projectID: try await project(context), tokenID: principal.tokenID)
            )
        }
        group.get("edge/lineages") { request, context in
            _ = try context.require(.read)
            var filter = LineageFilter()
            filter.deviceID = request.query("device_id")
            filter.fleetID = request.query("fleet_id")
            filter.status = try request.query("status", as: LineageStatus.self)
            filter.sourceTable = request.query("source_table")
            filter.query = try request.textFilter()
            filter.sort = try request.query("sort", as: LineageFilter.Sort.self) ?? .updatedAt
            let page = try request.page()
            return PageEnvelope(
                try await store.lineages(projectID: try await project(context), filter: filter, page: page),
                page: page
            )
        }
        group.get("edge/lineages/:lineage_id") { _, context in
            _ = try context.require(.read)
            return ResourceEnvelope(try await lineage(context))
        }
        group.get("edge/lineages/:lineage_id/staged-rows") { request, context in
            _ = try context.require(.mirrorRead)
            let lineage = try await lineage(context)
            let page = try request.page()
            return PageEnvelope(
                try await store.stagedRows(lineageID: lineage.lineage.id, query: try request.textFilter(), page: page),
                page: page,
                source: "staged"
            )
        }
        group.get("edge/lineages/:lineage_id/batches") { request, context in
            _ = try context.require(.read)
            let lineage = try await lineage(context)
            var filter = try batchFilter(request)
            filter.lineageID = lineage.lineage.id
            let page = try request.page()
            return PageEnvelope(
                try await store.batches(projectID: lineage.lineage.projectID, filter: filter, page: page),
                page: page
            )
        }
        group.get("edge/batches") { request, context in
            _ = try context.require(.read)
            var filter = try batchFilter(request)
            filter.lineageID = request.query("lineage_id")
            let page = try request.page()
            return PageEnvelope(
                try await store.batches(projectID: try await project(context), filter: filter, page: page),
                page: page
            )
        }
        group.get("edge/schema-reviews") { request, context in
            _ = try context.require(.read)
            var filter = ReviewFilter()
            filter.status = try request.query("status", as: ReviewStatusFilter.self)
            filter.lineageID = request.query("lineage_id")
            filter.deviceID = request.query("device_id")
            filter.query = try request.textFilter()
            let page = try request.page()
            return PageEnvelope(
                try await store.reviews(projectID: try await project(context), filter: filter, page: page),
                page: page
            )
        }
        group.get("edge/schema-reviews/:review_id") { _, context in
            _ = try context.require(.read)
            let id = try context.parameters.require("review_id")
            guard let detail = try await store.reviewDetail(id: id, projectID: try await project(context)) else {
                throw APIError(.notFound, "no schema review \(id)")
            }
            return ResourceEnvelope(detail)
        }
        group.get("events") { request, context in
            _ = try context.require(.read)
            var filter = EventFilter()
            filter.kind = try request.query("kind", as: EventKind.self)
            filter.deviceID = request.query("device_id")
            filter.lineageID = request.query("lineage_id")
            filter.since = try request.query("since", as: Int64.self)
            let page = try request.page()
            return PageEnvelope(
                try await store.events(projectID: try await project(context), filter: filter, page: page),
                page: page
            )
        }
    }

    func batchFilter(_ request: Request) throws -> BatchFilter {
        var filter = BatchFilter()
        filter.deviceID = request.query("device_id")
        filter.outcome = try request.query("outcome", as: BatchOutcome.self)
        filter.code = try request.query("code", as: RejectionCode.self)
        return filter
    }

    func lineage(_ context: EdgeRequestContext) async throws -> LineageDetail {
        let id = try context.parameters.require("lineage_id")
        guard let detail = try await store.lineageDetail(id: id, projectID: try await project(context)) else {
            throw APIError(.notFound, "no lineage \(id)")
        }
        return detail
    }
}

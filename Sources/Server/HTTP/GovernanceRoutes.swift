import EdgeSyncModels
import Hummingbird

/// Policy, data points, the schema registry, registry reviews, coalesced mirrors and mirror rows.
struct GovernanceRoutes: ProjectRoutes {
    let store: any GovernanceStore

    func register(on group: RouterGroup<EdgeRequestContext>) {
        group.get("edge/policy") { _, context in
            _ = try context.require(.read)
            return ResourceEnvelope(try await store.policy(projectID: try await project(context), fleetID: nil))
        }
        group.patch("edge/policy") { request, context in
            try await patchPolicy(request, context, fleetID: nil)
        }
        group.get("fleets") { request, context in
            _ = try context.require(.read)
            let page = try request.page()
            return PageEnvelope(try await store.fleets(projectID: try await project(context), page: page), page: page)
        }
        group.get("fleets/:fleet_id/edge/policy") { _, context in
            _ = try context.require(.read)
            let (projectID, fleetID) = try await fleet(context)
            return ResourceEnvelope(try await store.policy(projectID: projectID, fleetID: fleetID))
        }
        group.patch("fleets/:fleet_id/edge/policy") { request, context in
            try await patchPolicy(request, context, fleetID: try await fleet(context).1)
        }
        group.get("data-points") { request, context in
            _ = try context.require(.read)
            let page = try request.page()
            return PageEnvelope(
                try await store.dataPoints(
                    projectID: try await project(context),
                    deviceID: request.query("device_id"),
                    page: page
                ),
                page: page
            )
        }
        group.post("data-points") { request, context in
            _ = try context.require(.admin)
            let body = try await request.decode(as: CreateDataPointRequest.self, context: context)
            guard !body.name.isEmpty, body.name.count <= 128 else {
                throw APIError(.validationFailed, "name must be 1–128 characters", details: ["field": .string("name")])
            }
            let point = try await store.createDataPoint(
                projectID: try await project(context),
                deviceID: body.deviceID,
                name: body.name,
                unit: body.unit,
                now: .now
            )
            return EditedResponse(status: .created, response: ResourceEnvelope(point))
        }
        group.get("edge/registry") { request, context in
            _ = try context.require(.read)
            let page = try request.page()
            return PageEnvelope(
                try await store.registryEntries(
                    projectID: try await project(context),
                    query: try request.textFilter(),
                    page: page
                ),
                page: page
            )
        }
        group.get("edge/registry/:entry_id") { _, context in
            _ = try context.require(.read)
            let id = try context.parameters.require("entry_id")
            guard let entry = try await store.registryEntry(id: id, projectID: try await project(context)) else {
                throw APIError(.notFound, "no registry entry \(id)")
            }
            return ResourceEnvelope(entry)
        }
        group.get("edge/registry-reviews") { request, context in
            _ = try context.require(.read)
            var filter = ReviewFilter()
            filter.registry = true
            filter.status = try request.query("status", as: ReviewStatusFilter.self)
            filter.query = try request.textFilter()
            let page = try request.page()
            return PageEnvelope(
                try await store.reviews(projectID: try await project(context), filter: filter, page: page),
                page: page
            )
        }
        group.get("edge/registry-reviews/:review_id") { _, context in
            _ = try context.require(.read)
            let id = try context.parameters.require("review_id")
            guard let detail = try await store.reviewDetail(id: id, projectID: try await project(context)),
                detail.review.scope != .device
            else {
                throw APIError(.notFound, "no registry review \(id)")
            }
            return ResourceEnvelope(detail)
        }
        group.get("edge/coalesced-mirrors") { request, context in
            _ = try context.require(.read)
            let page = try request.page()
            return PageEnvelope(
                try await store.coalescedMirrors(projectID: try await project(context), page: page),
                page: page
            )
        }
        // The same capture name as `…/{source_table}/consolidate`: the router shares the segment.
        group.get("edge/coalesced-mirrors/:source_table") { _, context in
            _ = try context.require(.read)
            let id = try context.parameters.require("source_table")
            guard let mirror = try await store.coalescedMirror(id: id, projectID: try await project(context)) else {
                throw APIError(.notFound, "no coalesced mirror \(id)")
            }
            return ResourceEnvelope(mirror)
        }
        group.get("edge/lineages/:lineage_id/mirror-rows") { request, context in
            _ = try context.require(.mirrorRead)
            let id = try context.parameters.require("lineage_id")
            guard let detail = try await store.lineageDetail(id: id, projectID: try await project(context)) else {
                throw APIError(.notFound, "no lineage \(id)")
            }
            let page = try request.page()
            let rows = try await store.mirrorRows(
                lineageID: id,
                page: page,
                order: request.query("order"),
                query: try request.textFilter()
            )
            return PageEnvelope(rows, page: page, source: detail.lineage.strategy == .rows ? "mirror" : "series")
        }
    }

    func patchPolicy(
        _ request: Request,
        _ context: EdgeRequestContext,
        fleetID: String?
    ) async throws -> ResourceEnvelope<Policy> {
        _ = try context.require(.admin)
        let projectID = try await project(context)
        let patch = try await request.decode(as: PolicyPatch.self, context: context)
        let policy = try await store.policy(projectID: projectID, fleetID: fleetID).applying(patch)
        let problems = policy.problems
        guard problems.isEmpty else {
            throw APIError(
                .validationFailed,
                problems.joined(separator: "; "),
                details: ["problems": .array(problems.map(JSONValue.string))]
            )
        }
        try await store.setPolicy(policy, projectID: projectID, fleetID: fleetID, now: .now)
        return ResourceEnvelope(policy)
    }

    func fleet(_ context: EdgeRequestContext) async throws -> (String, String) {
        let projectID = try await project(context)
        let fleetID = try context.parameters.require("fleet_id")
        guard try await store.fleetExists(id: fleetID, projectID: projectID) else {
            throw APIError(.notFound, "no fleet \(fleetID)")
        }
        return (projectID, fleetID)
    }
}

/// `/core/api/v1/tokens` (admin): create (the token is shown once), list, revoke; and the
/// caller's own token (any scope).
struct TokenRoutes {
    let store: any GovernanceStore

    func register(on group: RouterGroup<EdgeRequestContext>) {
        group.get("tokens") { request, context in
            _ = try context.require(.admin)
            let page = try request.page()
            return PageEnvelope(try await store.tokens(page: page), page: page)
        }
        group.post("tokens") { request, context in
            _ = try context.require(.admin)
            let body = try await request.decode(as: CreateTokenRequest.self, context: context)
            let scopes = try body.scopes.map { name -> TokenScope in
                guard let scope = TokenScope(rawValue: name) else {
                    throw APIError(
                        .validationFailed,
                        "unknown scope \(name); use read, mirror:read, operate or admin",
                        details: ["field": .string("scopes")]
                    )
                }
                return scope
            }
            guard !scopes.isEmpty, !body.name.isEmpty else {
                throw APIError(.validationFailed, "a token needs a name and at least one scope")
            }
            let secret = Secrets.randomToken()
            var token = try await store.createToken(
                name: body.name,
                tokenHash: Secrets.tokenHash(secret),
                scopes: scopes,
                now: .now
            )
            token.token = secret
            return EditedResponse(status: .created, response: ResourceEnvelope(token))
        }
        // (ext) What the caller's own token may do: the console hides what it may not.
        group.get("tokens/current") { _, context in
            guard let principal = context.principal else { throw APIError(.unauthorized, "a bearer token is required") }
            return ResourceEnvelope(
                CurrentToken(
                    id: principal.tokenID,
                    name: principal.name,
                    scopes: principal.scopes.map(\.rawValue).sorted()
                )
            )
        }
        group.delete("tokens/:token_id") { _, context in
            let principal = try context.require(.admin)
            let id = try context.parameters.require("token_id")
            guard id != principal.tokenID else { throw APIError(.conflict, "a token cannot revoke itself") }
            guard try await store.revokeToken(id: id, now: .now) else {
                throw APIError(.notFound, "no active token \(id)")
            }
            return HTTPResponse.Status.noContent
        }
    }
}

import EdgeSyncModels
import Hummingbird

/// Review decisions on device and registry reviews: claim, approve, reject, abandon (`operate`),
/// each carrying the `action_version` the caller saw; the DDL an approval would run (`read`);
/// and consolidation of coalesced mirrors.
struct ReviewRoutes: ProjectRoutes {
    let store: any GovernanceStore
    let courier: (any ControlCourier)?

    struct ClaimRequest: Decodable {
        var actionVersion: Int

        enum CodingKeys: String, CodingKey {
            case actionVersion = "action_version"
        }
    }

    /// The last path component of the preview: a POST that changes nothing, so it needs no
    /// `Idempotency-Key`.
    static let preview = "preview"

    func register(on group: RouterGroup<EdgeRequestContext>) {
        for (resource, registry) in [("schema-reviews", false), ("registry-reviews", true)] {
            group.post("edge/\(resource)/:review_id/claim") { request, context in
                let body = try await request.decode(as: ClaimRequest.self, context: context)
                return try await transition(context, registry: registry, .claim(actionVersion: body.actionVersion))
            }
            group.post("edge/\(resource)/:review_id/approve") { request, context in
                try await transition(
                    context,
                    registry: registry,
                    .approve(try await request.decode(as: ApproveReviewRequest.self, context: context))
                )
            }
            group.post("edge/\(resource)/:review_id/reject") { request, context in
                try await transition(
                    context,
                    registry: registry,
                    .reject(try await request.decode(as: ReviewTransitionRequest.self, context: context))
                )
            }
            group.post("edge/\(resource)/:review_id/abandon") { request, context in
                try await transition(
                    context,
                    registry: registry,
                    .abandon(try await request.decode(as: ReviewTransitionRequest.self, context: context))
                )
            }
            group.post("edge/\(resource)/:review_id/\(Self.preview)") { request, context in
                _ = try context.require(.read)
                let body = try await request.decode(as: ApprovalPreviewRequest.self, context: context)
                return ResourceEnvelope(
                    try await store.previewApproval(
                        id: try context.parameters.require("review_id"),
                        projectID: try await project(context),
                        registry: registry,
                        actions: body.columnActions
                    )
                )
            }
        }
        group.post("edge/coalesced-mirrors/:source_table/consolidate") { _, context in
            _ = try context.require(.admin)
            let result = try await store.consolidate(
                projectID: try await project(context),
                sourceTable: try context.parameters.require("source_table"),
                now: .now
            )
            return ResourceEnvelope(result)
        }
    }

    func transition(
        _ context: EdgeRequestContext,
        registry: Bool,
        _ transition: ReviewTransition
    ) async throws -> ResourceEnvelope<SchemaReview> {
        let principal = try context.require(.operate)
        let id = try context.parameters.require("review_id")
        let projectID = try await project(context)
        let (review, controls) = try await store.transitionReview(
            id: id,
            projectID: projectID,
            registry: registry,
            principal: principal,
            transition,
            now: .now
        )
        await courier?.deliver(controls)
        return ResourceEnvelope(review)
    }
}

/// Operator actions on lineages and devices: reset the breaker, delete, write cloud state.
struct LineageActionRoutes: ProjectRoutes {
    let store: any GovernanceStore
    let courier: (any ControlCourier)?

    func register(on group: RouterGroup<EdgeRequestContext>) {
        group.post("edge/lineages/:lineage_id/reset-materialization") { _, context in
            _ = try context.require(.operate)
            let (response, controls) = try await store.resetMaterialization(
                lineageID: try context.parameters.require("lineage_id"),
                projectID: try await project(context),
                now: .now
            )
            await courier?.deliver(controls)
            return ResourceEnvelope(response)
        }
        group.delete("edge/lineages/:lineage_id") { _, context in
            _ = try context.require(.operate)
            try await store.deleteLineage(
                id: try context.parameters.require("lineage_id"),
                projectID: try await project(context),
                now: .now
            )
            return HTTPResponse.Status.noContent
        }
        group.post("devices/:device_id/edge/state-tables/:lineage_id/rows") { request, context in
            _ = try context.require(.operate)
            let body = try await request.decode(as: StateWriteRequest.self, context: context)
            let (response, controls) = try await store.writeState(
                deviceID: try context.parameters.require("device_id"),
                lineageID: try context.parameters.require("lineage_id"),
                projectID: try await project(context),
                request: body,
                now: .now
            )
            await courier?.deliver(controls)
            return EditedResponse(status: .created, response: ResourceEnvelope(response))
        }
    }
}

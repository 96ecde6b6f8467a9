import EdgeSyncModels
import Hummingbird

/// The route groups under `/projects/{project_id}`: each resolves the project of a request the
/// same way (it must exist, and an `ORG-ID` header must name its organisation).
protocol ProjectRoutes {
    var store: any GovernanceStore { get }
}

extension ProjectRoutes {
    func project(_ context: EdgeRequestContext) async throws -> String {
        try await ProjectScope.projectID(context, store: store)
    }
}

enum ProjectScope {
    static func projectID(_ context: EdgeRequestContext, store: any GovernanceStore) async throws -> String {
        let id = try context.parameters.require("project_id")
        guard let project = try await store.projects().first(where: { $0.id == id }) else {
            throw APIError(.notFound, "no project \(id)")
        }
        if let orgID = context.requestedOrgID, orgID != project.orgID {
            throw APIError(
                .forbidden,
                "ORG-ID \(orgID) is not the organisation of project \(id)",
                details: ["field": .string("ORG-ID")]
            )
        }
        return id
    }
}

import EdgeSyncModels
import Hummingbird

/// The whole HTTP API: unauthenticated probes at the root, everything else under
/// `/core/api/v1` behind bearer tokens, one route group per resource.
public enum APIRouter {
    public static func build(
        store: any GovernanceStore,
        tenancy: Tenancy,
        authority: DeviceAuthority,
        metrics: ServerMetrics = ServerMetrics(),
        courier: (any ControlCourier)? = nil,
        connections: (any DeviceConnections)? = nil,
        uploads: UploadDesk? = nil
    ) -> Router<EdgeRequestContext> {
        let router = Router(context: EdgeRequestContext.self)
        router.add(middleware: APIErrorMiddleware())
        router.add(middleware: MethodGuardMiddleware())
        HealthRoutes(store: store).register(on: router)
        router.get("metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(
                status: .ok,
                headers: headers,
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition()))
            )
        }
        router.get("openapi.yaml") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/yaml; charset=utf-8"
            return Response(
                status: .ok,
                headers: headers,
                body: .init(byteBuffer: ByteBuffer(bytes: PackageResources.openapi_yaml))
            )
        }
        if let uploads { UploadRoutes(store: store, desk: uploads).register(on: router) }
        let api = router.group("core/api/v1")
            .add(middleware: BearerAuthMiddleware(store: store))
            .add(middleware: IdempotencyMiddleware(store: store))
        api.get("projects") { _, context in
            _ = try context.require(.read)
            let projects = try await store.projects()
            return PageEnvelope(
                data: projects,
                meta: PageMeta(page: 1, limit: max(projects.count, 1), total: projects.count)
            )
        }
        TokenRoutes(store: store).register(on: api)
        let project = api.group("projects/:project_id")
        EdgeRoutes(store: store).register(on: project)
        GovernanceRoutes(store: store).register(on: project)
        ReviewRoutes(store: store, courier: courier).register(on: project)
        LineageActionRoutes(store: store, courier: courier).register(on: project)
        BatchRoutes(store: store, pipeline: IngestPipeline(store: store, uploads: uploads), courier: courier)
            .register(on: project)
        EventStreamRoute(store: store).register(on: project)
        DeviceRoutes(store: store, tenancy: tenancy, authority: authority, connections: connections)
            .register(on: project)
        return router
    }
}

/// `/healthz` (the process answers) and `/readyz` (the store answers), without a token.
struct HealthRoutes {
    struct Status: ResponseEncodable {
        var status: String
    }

    let store: any GovernanceStore

    func register(on router: Router<EdgeRequestContext>) {
        router.get("healthz") { _, _ in Status(status: "ok") }
        router.get("readyz") { _, _ in
            guard await store.isReachable() else { throw APIError(.unavailable, "the store is not reachable") }
            return Status(status: "ready")
        }
    }
}

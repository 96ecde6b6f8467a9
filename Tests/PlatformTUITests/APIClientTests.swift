import EdgeSyncModels
import Foundation
import TestSupport
import Testing

@testable import EdgeSyncConsole
@testable import Server

/// The console's libcurl client against a running server.
@Suite("Console API client", .serialized)
struct APIClientTests {
    @Test func readsMutatesAndReportsErrorsWithTheirCodes() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "edgesync-client-\(UUID().uuidString)"
        )
        let server = try await GovernanceServer.open(
            ServerConfiguration(
                dataDirectory: directory.path,
                httpPort: 0,
                mqttPort: 0,
                store: try await TestStore.url().map { try StoreLocation(parsing: $0) }
            )
        )
        let endpoints = try await server.start()
        let client = APIClient(baseURL: endpoints.http, token: server.adminToken)
        let project = server.tenancy.project.id
        let projects = try await client.get("/projects", as: PageEnvelope<Project>.self)
        #expect(projects.data.map(\.id) == [project])
        // One after another, the calls share one connection (a refresh does not reconnect).
        for _ in 0..<5 {
            _ = try await client.get("/projects/\(project)/edge/summary", as: ResourceEnvelope<EdgeSummary>.self)
        }
        #expect(client.handles.connectionsOpened == 1)
        let created = try await client.send(
            "POST",
            "/projects/\(project)/devices",
            body: Array(#"{"name":"pump-7"}"#.utf8),
            as: ResourceEnvelope<Device>.self
        )
        #expect(created.data.name == "pump-7")
        do {
            _ = try await client.send(
                "POST",
                "/projects/\(project)/devices",
                body: Array(#"{"name":"pump-7"}"#.utf8),
                as: ResourceEnvelope<Device>.self
            )
            Issue.record("a duplicate name was accepted")
        } catch let error as ClientError {
            #expect(error.code == "conflict" && error.description.contains("pump-7"))
        }
        _ = try await client.send(
            "DELETE",
            "/projects/\(project)/devices/\(created.data.id)",
            body: nil,
            as: EmptyResponse.self
        )
        await #expect(throws: ClientError.api(status: 404, APIError(.notFound, "no lineage nope"))) {
            try await client.get("/projects/\(project)/edge/lineages/nope", as: ResourceEnvelope<LineageDetail>.self)
        }
        let anonymous = APIClient(baseURL: endpoints.http, token: "wrong")
        await #expect(throws: ClientError.self) { try await anonymous.get("/projects", as: PageEnvelope<Project>.self) }
        await server.stop()
        let closed = APIClient(baseURL: endpoints.http, token: server.adminToken, timeout: 2)
        do {
            _ = try await closed.get("/projects", as: PageEnvelope<Project>.self)
            Issue.record("a stopped server answered")
        } catch let error as ClientError {
            #expect(error.code == "unreachable")
        }
    }
}

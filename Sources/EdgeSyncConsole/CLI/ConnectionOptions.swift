import ArgumentParser
import EdgeSyncModels
import Foundation

/// How the console and the CLI reach a server: `--server`/`--token` (or `EDGESYNC_SERVER`/
/// `EDGESYNC_TOKEN`), else the data directory of a local one.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "A server's URL (else EDGESYNC_SERVER; else the server of --data-dir).")
    var server: String?
    @Option(help: "Bearer token for --server (else EDGESYNC_TOKEN).")
    var token: String?
    @Option(help: "Data directory of the local server (its admin.token, and http.url while it runs).")
    var dataDir = "./.edgesync"
    @Option(help: "Project id or name (default: the server's first project).")
    var project: String?

    /// The server named by flags or the environment; nil when none is.
    func remote() throws -> APIClient? {
        let environment = ProcessInfo.processInfo.environment
        guard let url = server ?? environment["EDGESYNC_SERVER"] else { return nil }
        guard let token = token ?? environment["EDGESYNC_TOKEN"] else {
            throw ValidationError("--server needs --token (or EDGESYNC_TOKEN)")
        }
        return APIClient(baseURL: url, token: token)
    }

    /// The remote server, or the one running on `--data-dir` (found through the `http.url` it
    /// leaves there while it runs).
    func client() throws -> APIClient {
        if let remote = try remote() { return remote }
        let directory = URL(fileURLWithPath: dataDir)
        guard
            let url = try? String(contentsOf: directory.appendingPathComponent("http.url"), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines), !url.isEmpty
        else {
            throw CLIError.noServer(
                "no server is running on \(dataDir): start `platform-tui serve --data-dir \(dataDir)`, or pass --server and --token"
            )
        }
        guard
            let token = try? String(contentsOf: directory.appendingPathComponent("admin.token"), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        else {
            throw CLIError.noServer("cannot read \(dataDir)/admin.token: pass --token")
        }
        return APIClient(baseURL: url, token: self.token ?? token)
    }

    /// The project `--project` names, else the first one the token sees.
    func project(on client: APIClient) async throws -> Project {
        try await Self.project(project, on: client)
    }

    static func project(_ wanted: String?, on client: APIClient) async throws -> Project {
        let projects = try await client.get("/projects", as: PageEnvelope<Project>.self).data
        guard
            let chosen = wanted.map({ wanted in projects.first { $0.id == wanted || $0.name == wanted } })
                ?? projects.first
        else {
            throw CLIError.notFound(
                wanted.map { "no project \($0) (projects: \(projects.map(\.name).joined(separator: ", ")))" }
                    ?? "the server has no project"
            )
        }
        return chosen
    }
}

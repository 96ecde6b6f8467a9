import EdgeSyncModels
import Foundation

extension ConsoleApp {
    /// Sends `mutation` to the API: the status line's message and what changes on screen, or the
    /// API's refusal (a 409 with the current version, a 422 naming the column).
    static func outcome(of mutation: Mutation, client: APIClient, base: String) async -> ConsoleReducer.Outcome {
        do {
            switch mutation {
            case .claim(let id, let source, let version):
                _ = try await client.send(
                    "POST",
                    "\(base)/\(source.path)/\(id)/claim",
                    body: Array(#"{"action_version":\#(version)}"#.utf8),
                    as: ResourceEnvelope<SchemaReview>.self
                )
                return .done("claimed: you may now approve (a) the suggested actions", .ok, nil)
            case .approve(let id, let source, let version, let actions, let authority):
                let body = try JSONEncoder().encode(
                    ApproveReviewRequest(actionVersion: version, columnActions: actions, syncAuthority: authority)
                )
                try await transition(id, source, "approve", body: body, client: client, base: base)
                return .done(
                    "approved with \(actions.count) column actions: the staged rows are being replayed",
                    .ok,
                    nil
                )
            case .reject(let id, let source, let version, let reason):
                let body = try JSONEncoder().encode(ReviewTransitionRequest(actionVersion: version, reason: reason))
                try await transition(id, source, "reject", body: body, client: client, base: base)
                return .done("rejected: the lineage stays paused", .ok, nil)
            case .abandon(let id, let source, let version):
                let body = try JSONEncoder().encode(ReviewTransitionRequest(actionVersion: version))
                try await transition(id, source, "abandon", body: body, client: client, base: base)
                return .done("abandoned", .ok, nil)
            case .resetMaterialization(let id):
                let reset = try await client.send(
                    "POST",
                    "\(base)/edge/lineages/\(id)/reset-materialization",
                    body: nil,
                    as: ResourceEnvelope<ResetMaterializationResponse>.self
                ).data
                let resumed = reset.resumed ? ", device resumed" : ""
                return .done("materialization reset: \(reset.status.rawValue)\(resumed)", .ok, nil)
            case .reingest(let id):
                let result = try await client.reingest(entryID: id, base: base)
                guard result.outcome != .rejected else {
                    return .done("re-ingested: rejected again (\(result.rejectionCode?.rawValue ?? "?"))", .error, nil)
                }
                let outcome = result.outcome?.rawValue ?? "done"
                return .done("re-ingested: \(outcome), \(result.stagedRows) rows staged", .ok, nil)
            case .writeBack(let device, let id, let row):
                let body = try JSONEncoder().encode(StateWriteRequest(rows: [row]))
                let written = try await client.send(
                    "POST",
                    "\(base)/devices/\(device)/edge/state-tables/\(id)/rows",
                    body: Array(body),
                    as: ResourceEnvelope<StateWriteResponse>.self
                ).data
                return .done(
                    "wrote \(written.rowsWritten) row to \(written.sourceTable); state_write \(written.controlID.prefix(8)) queued for the device",
                    .ok,
                    nil
                )
            case .registerDevice(let name):
                let device = try await client.registerDevice(CreateDeviceRequest(name: name), base: base)
                return .done("registered \(device.name); P issues a password, C a certificate", .ok) {
                    $0.devices.selectedID = device.id
                }
            case .issueCredentials(let id, let name, let kind):
                let issued = try await client.issueCredentials(kind, deviceID: id, base: base)
                return .done(try keep(issued, for: name), .ok, nil)
            case .savePolicy(let patch, let fleet):
                let saved = try await client.send(
                    "PATCH",
                    "\(base)\(ConsoleLoader.policyPath(fleet))",
                    body: Array(try JSONEncoder().encode(patch)),
                    as: ResourceEnvelope<Policy>.self
                ).data
                return .done("policy saved", .ok) { state in
                    state.policy = PolicyScreen(policy: saved, fleet: fleet, fleets: state.policy?.fleets ?? [])
                }
            case .deleteLineage(let id):
                _ = try await client.send("DELETE", "\(base)/edge/lineages/\(id)", body: nil, as: EmptyResponse.self)
                return .done("lineage deleted", .ok) { $0.stack = [.lineages] }
            }
        } catch {
            return .failed("\(error)", versionConflict: (error as? ClientError)?.code == "action_version_conflict")
        }
    }

    /// Approve, reject or abandon a review.
    private static func transition(
        _ id: String,
        _ source: ReviewSource,
        _ verb: String,
        body: Data,
        client: APIClient,
        base: String
    ) async throws {
        _ = try await client.send(
            "POST",
            "\(base)/\(source.path)/\(id)/\(verb)",
            body: Array(body),
            as: ResourceEnvelope<SchemaReview>.self
        )
    }

    /// A password is shown once on the status line; a certificate, its key and the CA go to
    /// `directory` (default `./credentials/<device>/`; the key 0600), for copying to the device.
    static func keep(_ issued: IssuedCredentials, for name: String, in directory: URL? = nil) throws -> String {
        guard issued.kind == .certificate, let certificate = issued.certificatePEM, let key = issued.privateKeyPEM,
            let ca = issued.caCertificatePEM
        else {
            return "password for \(name) (shown once): \(issued.password ?? "?")"
        }
        let directory =
            directory
            ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("credentials")
            .appendingPathComponent(name)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try certificate.write(to: directory.appendingPathComponent("\(name).pem"), atomically: true, encoding: .utf8)
        try ca.write(to: directory.appendingPathComponent("ca.pem"), atomically: true, encoding: .utf8)
        let keyPath = directory.appendingPathComponent("\(name).key").path
        _ = FileManager.default.createFile(
            atPath: keyPath,
            contents: Data(key.utf8),
            attributes: [.posixPermissions: 0o600]
        )
        return "certificate, key (0600) and CA for \(name) written to \(directory.path)"
    }
}

import EdgeSyncModels
import Hummingbird

/// Rejected batches kept by the server: their exact bytes (`mirror:read`, they hold row data)
/// and their re-ingest once the cause is fixed (`operate`).
struct BatchRoutes: ProjectRoutes {
    let store: any GovernanceStore
    let pipeline: IngestPipeline
    let courier: (any ControlCourier)?

    func register(on group: RouterGroup<EdgeRequestContext>) {
        group.get("edge/batches/:entry_id/payload") { _, context in
            _ = try context.require(.mirrorRead)
            let rejected = try await store.rejectedPayload(
                entryID: try entryID(context),
                projectID: try await project(context)
            )
            var headers = HTTPFields()
            headers[.contentType] = "application/octet-stream"
            return Response(
                status: .ok,
                headers: headers,
                body: .init(byteBuffer: ByteBuffer(bytes: rejected.payload))
            )
        }
        group.post("edge/batches/:entry_id/reingest") { _, context in
            let principal = try context.require(.operate)
            let projectID = try await project(context)
            let rejected = try await store.rejectedPayload(entryID: try entryID(context), projectID: projectID)
            guard let device = try await store.device(named: rejected.entry.deviceName, projectID: projectID) else {
                throw APIError(.conflict, "the device \(rejected.entry.deviceName) no longer exists")
            }
            let result = try await pipeline.ingest(
                device: device,
                topic: rejected.entry.kind,
                payload: rejected.payload,
                receivedAt: .now
            )
            try await store.markReingested(
                entryID: rejected.entry.id,
                as: result.ledgerID,
                by: principal.name,
                now: .now
            )
            await courier?.deliver(result.controls)
            return ResourceEnvelope(
                ReingestResult(
                    entryID: rejected.entry.id,
                    reingestedEntryID: result.ledgerID,
                    outcome: result.outcome,
                    rejectionCode: result.rejection,
                    stagedRows: result.stagedRows
                )
            )
        }
    }

    func entryID(_ context: EdgeRequestContext) throws -> Int64 {
        let text = try context.parameters.require("entry_id")
        guard let id = Int64(text), id > 0 else {
            throw APIError(.badRequest, "entry_id must be a positive integer", details: ["field": .string("entry_id")])
        }
        return id
    }
}

import EdgeSyncModels
import Foundation
import HTTPTypes
import Hummingbird
import ServiceLifecycle

/// `GET /events/stream`: governance events as Server-Sent Events. Resumes after `Last-Event-ID`
/// (or `since`); new events are polled from the store in the order their transactions committed,
/// so every replica serves the same stream and none skips an event written by another. `max_events` ends the stream after that many events (for scripts). A comment line
/// every 15 s keeps proxies from closing an idle stream.
struct EventStreamRoute: ProjectRoutes {
    static let pollInterval = Duration.milliseconds(250)
    // Short: a write is how a closed client is noticed (and the server can shut down promptly).
    static let keepAliveInterval = Duration.seconds(2)
    let store: any GovernanceStore

    func register(on group: RouterGroup<EdgeRequestContext>) {
        group.get("events/stream") { request, context in
            _ = try context.require(.read)
            let projectID = try await project(context)
            var filter = EventFilter()
            filter.kind = try request.query("kind", as: EventKind.self)
            filter.deviceID = request.query("device_id")
            filter.lineageID = request.query("lineage_id")
            if let header = request.headers[HTTPField.Name("Last-Event-ID")!] {
                guard let id = Int64(header) else { throw APIError(.badRequest, "Last-Event-ID must be an event id") }
                filter.since = id
            } else {
                // From the start by default, in commit order like any resumed stream.
                filter.since = try request.query("since", as: Int64.self) ?? 0
            }
            let maximum = try request.query("max_events", as: Int64.self).map { value -> Int in
                guard value >= 1 else {
                    throw APIError(
                        .badRequest,
                        "max_events must be an integer ≥ 1 (leave it out to stream until the client disconnects)",
                        details: ["parameter": .string("max_events")]
                    )
                }
                return Int(value)
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/event-stream"
            headers[.cacheControl] = "no-cache"
            let store = self.store
            let start = filter
            let body = ResponseBody { writer in
                try await Self.stream(
                    store: store,
                    projectID: projectID,
                    filter: start,
                    maximum: maximum,
                    writer: &writer
                )
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: headers, body: body)
        }
    }

    static func stream(
        store: any GovernanceStore,
        projectID: String,
        filter: EventFilter,
        maximum: Int?,
        writer: inout any ResponseBodyWriter
    ) async throws {
        var filter = filter
        var sent = 0
        var lastWrite = ContinuousClock.now
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let limit = min(PageRequest.maximumLimit, maximum.map { $0 - sent } ?? PageRequest.maximumLimit)
            guard limit > 0 else { return }
            let events = try await store.events(
                projectID: projectID,
                filter: filter,
                page: PageRequest(page: 1, limit: limit)
            ).items
            for event in events {
                let data = String(decoding: try encoder.encode(event), as: UTF8.self)
                try await writer.write(
                    ByteBuffer(string: "id: \(event.id)\nevent: \(event.kind.rawValue)\ndata: \(data)\n\n")
                )
                filter.since = event.id
                sent += 1
                lastWrite = .now
            }
            if let maximum, sent >= maximum { return }
            if events.isEmpty {
                if ContinuousClock.now - lastWrite > keepAliveInterval {
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    lastWrite = .now
                }
                // A stopping server ends the stream (a clean end of the response) rather than
                // waiting for the client to leave.
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: pollInterval) }
                } catch is CancellationError {
                    return
                }
            }
        }
    }
}

import EdgeSyncModels
import Foundation

/// What each route shows, fetched from the API: the runner's side of a `load` effect.
struct ConsoleLoader: Sendable {
    let client: APIClient
    /// `/projects/ID`.
    let base: String

    /// The header's counts, in one request.
    func counts() async throws -> EdgeSummary {
        try await client.get("\(base)/edge/summary", as: ResourceEnvelope<EdgeSummary>.self).data
    }

    /// The DDL and the first staged rows as `actions` would land them; a refusal is an answer too.
    func preview(
        reviewID id: String,
        _ source: ReviewSource,
        _ actions: [ColumnAction]
    ) async -> ColumnEditorScreen.PreviewAnswer {
        do {
            let body = Array(try JSONEncoder().encode(ApprovalPreviewRequest(columnActions: actions)))
            let path = "\(base)/\(source.path)/\(id)/preview"
            return .statements(
                try await client.query(path, body: body, as: ResourceEnvelope<ApprovalPreview>.self).data
            )
        } catch {
            return .refused("\(error)")
        }
    }

    /// Fetches what `route` shows; returns how to apply it.
    func load(_ route: ConsoleApp.Route, _ current: ConsoleApp.State) async throws -> ConsoleReducer.Apply {
        switch route {
        case .lineages:
            let screen = current.lineages
            let status = screen.statusFilter.map { "&status=\($0.rawValue)" } ?? ""
            let page = try await client.get(
                "\(base)/edge/lineages?page=\(screen.page.meta.page)&limit=\(screen.page.meta.limit)&sort=\(screen.sort.rawValue)\(status)\(screen.queryParameter)",
                as: PageEnvelope<Lineage>.self
            )
            return { state in
                state.lineages.page = page
                Self.anchor(&state.lineages.selectedID, in: page)
            }
        case .lineage(let id):
            let detail = try await client.get("\(base)/edge/lineages/\(id)", as: ResourceEnvelope<LineageDetail>.self)
                .data
            return { state in state.lineage = LineageDetailScreen(detail: detail, now: .now) }
        case .rows(let id, let name, let written):
            let meta = current.rows?.page.meta ?? PageMeta(page: 1, limit: 50, total: 0)
            let path = written ? "mirror-rows" : "staged-rows"
            let query = current.rows?.queryParameter ?? ""
            let page: PageEnvelope<JSONObject>
            if written {
                page = try await client.get(
                    "\(base)/edge/lineages/\(id)/\(path)?page=\(meta.page)&limit=\(meta.limit)\(query)",
                    as: PageEnvelope<JSONObject>.self
                )
            } else {
                let staged = try await client.get(
                    "\(base)/edge/lineages/\(id)/\(path)?page=\(meta.page)&limit=\(meta.limit)\(query)",
                    as: PageEnvelope<StagedRow>.self
                )
                page = PageEnvelope(data: staged.data.map(Self.stagedObject), meta: staged.meta)
            }
            return { state in
                var rows = state.rows ?? RowsScreen(lineageName: name, written: written, page: page)
                rows.page = page
                state.rows = rows
            }
        case .reviews(let source):
            let screen = current[reviews: source]
            let status = screen.statusFilter.map { "&status=\($0.rawValue)" } ?? ""
            let page = try await client.get(
                "\(base)/\(source.path)?page=\(screen.page.meta.page)&limit=\(screen.page.meta.limit)\(status)\(screen.queryParameter)",
                as: PageEnvelope<SchemaReview>.self
            )
            return { state in
                state[reviews: source].page = page
                Self.anchor(&state[reviews: source].selectedID, in: page)
            }
        case .registry:
            let meta = current.registry.page.meta
            let page = try await client.get(
                "\(base)/edge/registry?page=\(meta.page)&limit=\(meta.limit)\(current.registry.queryParameter)",
                as: PageEnvelope<RegistryEntry>.self
            )
            return { state in
                state.registry.page = page
                Self.anchor(&state.registry.selectedID, in: page)
            }
        case .editor(let id, let source):
            let detail = try await client.get(
                "\(base)/\(source.path)/\(id)",
                as: ResourceEnvelope<SchemaReviewDetail>.self
            ).data
            let device = detail.review.deviceID.map { "?device_id=\($0)&limit=500" } ?? "?limit=500"
            let points = try await client.get("\(base)/data-points\(device)", as: PageEnvelope<DataPoint>.self).data.map
            { (id: $0.id, name: $0.name) }
            let policy = try await client.get("\(base)/edge/policy", as: ResourceEnvelope<Policy>.self).data
            return { state in
                // A refresh never throws away the operator's edits.
                var editor = state.editor ?? ColumnEditorScreen(detail: detail)
                editor.dataPoints = points
                editor.allowAutoCreate = policy.allowAutoCreateDeviceDataPoints
                // A refused preview (the server was away, a target changed) is asked again.
                if case .refused? = editor.preview?.answer { editor.requested = nil }
                state.editor = editor
            }
        case .actionLog:
            return { _ in }
        case .events:
            guard current.events == nil else { return { _ in } }
            // The newest page of the history, then the live stream from its last id.
            let total = try await client.get("\(base)/events?limit=1", as: PageEnvelope<Event>.self).meta.total
            let lastPage = max(1, (total + 199) / 200)
            let history = try await client.get(
                "\(base)/events?limit=200&page=\(lastPage)",
                as: PageEnvelope<Event>.self
            ).data
            return { state in
                var screen = EventsScreen(now: .now)
                for event in history { screen.append(event) }
                state.events = screen
            }
        case .policy:
            let fleets = try await client.get("\(base)/fleets?limit=500", as: PageEnvelope<Fleet>.self).data
            let fleet = current.policyFleet.flatMap { shown in fleets.first { $0.id == shown.id } }
            let policy = try await client.get("\(base)\(Self.policyPath(fleet))", as: ResourceEnvelope<Policy>.self)
                .data
            return { state in
                guard state.policyFleet?.id == fleet?.id else { return }
                // A refresh keeps the edits: only the saved column follows the server.
                var screen = state.policy ?? PolicyScreen(policy: policy)
                (screen.fleet, screen.fleets) = (fleet, fleets)
                if screen.draft == screen.saved { screen.draft = policy }
                screen.saved = policy
                state.policy = screen
            }
        case .devices:
            let meta = current.devices.page.meta
            let page = try await client.get(
                "\(base)/devices?page=\(meta.page)&limit=\(meta.limit)\(current.devices.queryParameter)",
                as: PageEnvelope<Device>.self
            )
            return { state in
                state.devices.page = page
                Self.anchor(&state.devices.selectedID, in: page)
            }
        case .review(let id, let source):
            let detail = try await client.get(
                "\(base)/\(source.path)/\(id)",
                as: ResourceEnvelope<SchemaReviewDetail>.self
            ).data
            return { state in
                let confirming = state.review?.confirmingApproval ?? false
                state.review = ReviewDetailScreen(
                    detail: detail,
                    confirmingApproval: confirming && detail.review.status == .inReview
                )
            }
        }
    }

    /// A reloaded page keeps its selection when the selected row is still on it (docs/spec/tui.md: a
    /// refresh never moves the selection), else selects the first row.
    static func anchor<Item: Identifiable & Codable & Sendable>(_ selected: inout String?, in page: PageEnvelope<Item>)
    where Item.ID == String {
        if !page.data.contains(where: { $0.id == selected }) { selected = page.data.first?.id }
    }

    /// The project's policy, or a fleet's.
    static func policyPath(_ fleet: Fleet?) -> String {
        fleet.map { "/fleets/\($0.id)/edge/policy" } ?? "/edge/policy"
    }

    /// A staged row as the data view shows it: position, op, then the row's columns.
    static func stagedObject(_ row: StagedRow) -> JSONObject {
        var object: JSONObject = [
            "#": .integer(row.commitSeq ?? row.id), "op": .string(row.op?.rawValue ?? (row.ts == nil ? "-" : "sample")),
        ]
        if let ts = row.ts { object["ts"] = .string(ts.description) }
        for member in (row.row ?? row.pk ?? [:]).members { object[member.key] = member.value }
        object["reason"] = .string(row.reason.rawValue)
        return object
    }
}

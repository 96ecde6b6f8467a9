import EdgeSyncModels
import Foundation

extension ConsoleApp {
    /// Loads the top screen's data and the header counts in the background. The screen keeps
    /// its last data (marked disconnected) when the server does not answer.
    func refresh() {
        let request = state.withLock { state -> State? in
            guard !state.loading else { return nil }
            state.loading = true
            return state
        }
        guard let request else { return }
        let base = "/projects/\(projectID)"
        Task { [client] in
            do {
                let counts = try await client.get("\(base)/edge/summary", as: ResourceEnvelope<EdgeSummary>.self).data
                let update = try await load(request.route, request, base: base)
                state.withLock { state in
                    if state.route == request.route { update(&state) }
                    state.frame.connected = true
                    state.frame.counts = counts
                    if state.failures > 0 || state.frame.status?.text == "loading…" { state.frame.status = nil }
                    state.failures = 0
                    state.loadedAt = Date()
                    state.loading = false
                }
                self.requestPreview()
            } catch {
                state.withLock { state in
                    state.failures += 1
                    state.frame.connected = (error as? ClientError)?.code != "unreachable"
                    state.frame.status = ("\(error)", .error)
                    state.loadedAt = Date()
                    state.loading = false
                }
            }
        }
    }

    /// Asks the server for the DDL the editor's current actions would run, once per change of
    /// them; the answer is shown only while the actions are still those.
    func requestPreview() {
        let request = state.withLock { state -> (String, ReviewSource, [ColumnAction])? in
            guard case .editor(let id, let source) = state.route, let due = state.editor?.previewDue else { return nil }
            state.editor?.requested = due
            return (id, source, due)
        }
        guard let (id, source, actions) = request else { return }
        let path = "/projects/\(projectID)/\(source.path)/\(id)/preview"
        Task { [client] in
            let answer: ColumnEditorScreen.PreviewAnswer
            do {
                let body = Array(try JSONEncoder().encode(ApprovalPreviewRequest(columnActions: actions)))
                answer = .statements(
                    try await client.query(path, body: body, as: ResourceEnvelope<ApprovalPreview>.self).data
                )
            } catch {
                answer = .refused("\(error)")
            }
            state.withLock { state in
                guard state.route == .editor(id, source) else { return }
                state.editor?.receive(answer, for: actions)
            }
        }
    }

    /// Fetches what `route` shows; returns how to apply it.
    private func load(_ route: Route, _ current: State, base: String) async throws -> @Sendable (inout State) -> Void {
        switch route {
        case .lineages:
            let screen = current.lineages
            let status = screen.statusFilter.map { "&status=\($0.rawValue)" } ?? ""
            let query =
                screen.query.flatMap { $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) }.map {
                    "&q=\($0)"
                } ?? ""
            let page = try await client.get(
                "\(base)/edge/lineages?page=\(screen.page.meta.page)&limit=\(screen.page.meta.limit)&sort=\(screen.sort.rawValue)\(status)\(query)",
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
            let page: PageEnvelope<JSONObject>
            if written {
                page = try await client.get(
                    "\(base)/edge/lineages/\(id)/\(path)?page=\(meta.page)&limit=\(meta.limit)",
                    as: PageEnvelope<JSONObject>.self
                )
            } else {
                let staged = try await client.get(
                    "\(base)/edge/lineages/\(id)/\(path)?page=\(meta.page)&limit=\(meta.limit)",
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
                "\(base)/\(source.path)?page=\(screen.page.meta.page)&limit=\(screen.page.meta.limit)\(status)",
                as: PageEnvelope<SchemaReview>.self
            )
            return { state in
                state[reviews: source].page = page
                Self.anchor(&state[reviews: source].selectedID, in: page)
            }
        case .registry:
            let meta = current.registry.page.meta
            let page = try await client.get(
                "\(base)/edge/registry?page=\(meta.page)&limit=\(meta.limit)",
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
            return { [client, self] state in
                var screen = EventsScreen(now: .now)
                for event in history { screen.append(event) }
                state.events = screen
                let stream = EventStream(client: client, path: "\(base)/events/stream")
                state.eventStream?.stop()
                state.eventStream = stream
                stream.start { event in
                    self.state.withLock { state in
                        state.events?.live = true
                        state.events?.append(event)
                    }
                }
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
                "\(base)/devices?page=\(meta.page)&limit=\(meta.limit)",
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

    /// `HH:MM:SS`, local time, for the action log.
    static func clock() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: Date())
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

    /// Claims or approves, then reloads; the API's refusal (a 409 with the current version, a
    /// 422 naming the column) is shown on the status line and the review is reloaded.
    func perform(_ mutation: Mutation) {
        let base = "/projects/\(projectID)"
        // Named now, while the screen that asked still holds the review or lineage.
        let summary = state.withLock { mutation.summary(named: mutation.subject(in: $0)) }
        Task { [client] in
            do {
                switch mutation {
                case .claim(let id, let source, let version):
                    _ = try await client.send(
                        "POST",
                        "\(base)/\(source.path)/\(id)/claim",
                        body: Array(#"{"action_version":\#(version)}"#.utf8),
                        as: ResourceEnvelope<SchemaReview>.self
                    )
                    state.withLock { $0.frame.status = ("claimed: you may now approve (a) the suggested actions", .ok) }
                case .approve(let id, let source, let version, let actions, let authority):
                    let body = try JSONEncoder().encode(
                        ApproveReviewRequest(actionVersion: version, columnActions: actions, syncAuthority: authority)
                    )
                    _ = try await client.send(
                        "POST",
                        "\(base)/\(source.path)/\(id)/approve",
                        body: Array(body),
                        as: ResourceEnvelope<SchemaReview>.self
                    )
                    state.withLock {
                        $0.frame.status = (
                            "approved with \(actions.count) column actions: the staged rows are being replayed", .ok
                        )
                    }
                case .reject(let id, let source, let version, let reason):
                    let body = try JSONEncoder().encode(ReviewTransitionRequest(actionVersion: version, reason: reason))
                    _ = try await client.send(
                        "POST",
                        "\(base)/\(source.path)/\(id)/reject",
                        body: Array(body),
                        as: ResourceEnvelope<SchemaReview>.self
                    )
                    state.withLock { $0.frame.status = ("rejected: the lineage stays paused", .ok) }
                case .abandon(let id, let source, let version):
                    let body = try JSONEncoder().encode(ReviewTransitionRequest(actionVersion: version))
                    _ = try await client.send(
                        "POST",
                        "\(base)/\(source.path)/\(id)/abandon",
                        body: Array(body),
                        as: ResourceEnvelope<SchemaReview>.self
                    )
                    state.withLock { $0.frame.status = ("abandoned", .ok) }
                case .resetMaterialization(let id):
                    let reset = try await client.send(
                        "POST",
                        "\(base)/edge/lineages/\(id)/reset-materialization",
                        body: nil,
                        as: ResourceEnvelope<ResetMaterializationResponse>.self
                    ).data
                    state.withLock {
                        $0.frame.status = (
                            "materialization reset: \(reset.status.rawValue)\(reset.resumed ? ", device resumed" : "")",
                            .ok
                        )
                    }
                case .reingest(let id):
                    let result = try await client.send(
                        "POST",
                        "\(base)/edge/batches/\(id)/reingest",
                        body: nil,
                        as: ResourceEnvelope<ReingestResult>.self
                    ).data
                    state.withLock {
                        $0.frame.status =
                            result.outcome == .rejected
                            ? ("re-ingested: rejected again (\(result.rejectionCode?.rawValue ?? "?"))", .error)
                            : (
                                "re-ingested: \(result.outcome?.rawValue ?? "done"), \(result.stagedRows) rows staged",
                                .ok
                            )
                    }
                case .writeBack(let device, let id, let row):
                    let body = try JSONEncoder().encode(StateWriteRequest(rows: [row]))
                    let written = try await client.send(
                        "POST",
                        "\(base)/devices/\(device)/edge/state-tables/\(id)/rows",
                        body: Array(body),
                        as: ResourceEnvelope<StateWriteResponse>.self
                    ).data
                    state.withLock {
                        $0.frame.status = (
                            "wrote \(written.rowsWritten) row to \(written.sourceTable); state_write \(written.controlID.prefix(8)) queued for the device",
                            .ok
                        )
                    }
                case .registerDevice(let name):
                    let body = try JSONEncoder().encode(CreateDeviceRequest(name: name))
                    let device = try await client.send(
                        "POST",
                        "\(base)/devices",
                        body: Array(body),
                        as: ResourceEnvelope<Device>.self
                    ).data
                    state.withLock { state in
                        state.devices.selectedID = device.id
                        state.frame.status = ("registered \(device.name); P issues a password, C a certificate", .ok)
                    }
                case .issueCredentials(let id, let name, let kind):
                    let issued = try await client.send(
                        "POST",
                        "\(base)/devices/\(id)/credentials",
                        body: Array(#"{"kind":"\#(kind.rawValue)"}"#.utf8),
                        as: ResourceEnvelope<IssuedCredentials>.self
                    ).data
                    let message = try Self.keep(issued, for: name)
                    state.withLock { $0.frame.status = (message, .ok) }
                case .savePolicy(let patch, let fleet):
                    let saved = try await client.send(
                        "PATCH",
                        "\(base)\(Self.policyPath(fleet))",
                        body: Array(try JSONEncoder().encode(patch)),
                        as: ResourceEnvelope<Policy>.self
                    ).data
                    state.withLock { state in
                        state.policy = PolicyScreen(policy: saved, fleet: fleet, fleets: state.policy?.fleets ?? [])
                        state.frame.status = ("policy saved", .ok)
                    }
                case .deleteLineage(let id):
                    _ = try await client.send(
                        "DELETE",
                        "\(base)/edge/lineages/\(id)",
                        body: nil,
                        as: EmptyResponse.self
                    )
                    state.withLock { state in
                        state.stack = [.lineages]
                        state.frame.status = ("lineage deleted", .ok)
                    }
                }
                state.withLock {
                    $0.actions.insert(
                        .init(
                            time: Self.clock(),
                            action: summary,
                            ok: true,
                            result: mutation.logged($0.frame.status?.text)
                        ),
                        at: 0
                    )
                }
            } catch {
                let reloaded =
                    (error as? ClientError)?.code == "action_version_conflict" ? " (the review changed; reloaded)" : ""
                state.withLock { state in
                    state.frame.status = ("\(error)\(reloaded)", .error)
                    state.actions.insert(
                        .init(time: Self.clock(), action: summary, ok: false, result: "\(error)"),
                        at: 0
                    )
                }
            }
            state.withLock { $0.loadedAt = nil }
            refresh()
        }
    }
}

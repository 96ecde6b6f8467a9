import EdgeSyncModels

/// Screen 7, devices (docs/spec/tui.md): the project's devices; register one, issue its credentials.
struct DevicesScreen: Sendable {
    var page: PageEnvelope<Device>
    var selectedID: String?
    /// `/`: a substring of the name or id, applied by the API.
    var query: String?
    var now: Timestamp

    static let keys: [(key: String, action: String)] = [
        ("↑↓", "move"), ("+", "register"), ("P", "password"), ("C", "certificate"), ("/", "filter"), ("n/p", "page"),
        ("Esc", "back"), ("q", "quit"),
    ]

    static let columns = [
        TableView.Column("NAME", min: 8, max: 40), TableView.Column("CONNECTED", min: 9, max: 9),
        TableView.Column("LAST SEEN", min: 9, max: 9, alignRight: true),
        TableView.Column("CREDENTIALS", min: 11, max: 24), TableView.Column("ID", min: 8, max: 36),
    ]

    var table: TableView {
        var table = TableView(
            columns: Self.columns,
            rows: page.data.map { device in
                [
                    device.name, device.connected ? "yes" : "no",
                    device.lastSeenAt.map { LineagesScreen.age(seconds: Int(now.seconds - $0.seconds)) } ?? "never",
                    device.credentialKinds.isEmpty
                        ? "none" : device.credentialKinds.map(\.rawValue).joined(separator: ", "), device.id,
                ]
            }
        )
        table.styles = page.data.map {
            [.plain, $0.connected ? .ok : .muted, .muted, $0.credentialKinds.isEmpty ? .warning : .plain, .muted]
        }
        table.selected = page.data.firstIndex { $0.id == selectedID } ?? (page.data.isEmpty ? nil : 0)
        return table
    }

    func draw(into grid: inout CellGrid, frame: ScreenFrame) {
        frame.drawList(
            into: &grid,
            breadcrumb: ["Devices"],
            title: "Devices [\(page.meta.total)]" + matching,
            keys: Self.keys,
            table: table,
            empty: emptyText(
                "No devices yet: + registers one (or a dev-open server registers them on first connect).",
                noun: "device"
            )
        )
    }
}

extension DevicesScreen: TextFilteredList {
    var helpTitle: String { "Devices" }
    var filterHint: String { "name or id" }
    var keys: [(key: String, action: String)] { Self.keys }

    mutating func handle(_ key: Terminal.Key, _ context: ScreenContext) -> [ScreenCommand]? {
        page.meta.limit = context.pageSize
        let selected = page.data.first { $0.id == selectedID } ?? page.data.first
        switch key {
        case .character("+"):
            let dialog = ConfirmDialog(
                title: "Register a device",
                effect: "Its name is its MQTT client id: 1–64 of A-Z a-z 0-9 . _ -",
                field: .text(label: "Name", required: true)
            )
            return [.mode(.dialog(dialog, .registerDevice(name: "")))]
        case .character("/"):
            return filterPrompt
        case .character("P"):
            guard let selected else { return [] }
            let dialog = ConfirmDialog(
                title: "New password for \(selected.name)",
                effect: "Replaces its password; the new one is shown once, on the status line."
            )
            return [
                .mode(.dialog(dialog, .issueCredentials(deviceID: selected.id, name: selected.name, kind: .password)))
            ]
        case .character("C"):
            guard let selected else { return [] }
            let dialog = ConfirmDialog(
                title: "New certificate for \(selected.name)",
                effect:
                    "Issues a client certificate; it, its key (0600) and the CA go to ./credentials/\(selected.name)."
            )
            return [
                .mode(
                    .dialog(dialog, .issueCredentials(deviceID: selected.id, name: selected.name, kind: .certificate))
                )
            ]
        default:
            return Self.turnPage(key, &page.meta) ?? Self.select(key, &selectedID, in: page.data.map(\.id))
        }
    }
}

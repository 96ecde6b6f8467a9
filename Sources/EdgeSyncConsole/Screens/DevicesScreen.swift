import EdgeSyncModels

/// Screen 7, devices (docs/spec/tui.md): the project's devices; register one, issue its credentials.
struct DevicesScreen: Sendable {
    var page: PageEnvelope<Device>
    var selectedID: String?
    var now: Timestamp

    static let keys: [(key: String, action: String)] = [
        ("↑↓", "move"), ("+", "register"), ("P", "password"), ("C", "certificate"), ("n/p", "page"), ("Esc", "back"),
        ("q", "quit"),
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
            title: "Devices [\(page.meta.total)]",
            keys: Self.keys,
            table: table,
            empty: "No devices yet: + registers one (or a dev-open server registers them on first connect)."
        )
    }
}

import EdgeSyncModels

/// Screen 7, policy (docs/spec/tui.md): every policy field of the project or of one fleet (`F` switches),
/// edited in place and saved with F2 (the API checks the values and its refusal is shown as it
/// comes).
struct PolicyScreen: Sendable {
    var saved: Policy
    var draft: Policy
    /// The fleet shown; nil for the project.
    var fleet: Fleet?
    /// Every fleet of the project, for `F`.
    var fleets: [Fleet] = []
    var selected = 0
    /// The number being typed into the selected field.
    var editing: String?

    init(policy: Policy, fleet: Fleet? = nil, fleets: [Fleet] = []) {
        saved = policy
        draft = policy
        self.fleet = fleet
        self.fleets = fleets
    }

    static let fields = [
        "schema_coalescing_mode", "allow_additive_continue", "allow_auto_create_device_data_points",
        "max_pending_rows_per_lineage", "max_pending_bytes_per_lineage", "resume_threshold_percent",
    ]

    var keys: [(key: String, action: String)] {
        if editing != nil { return [("Enter", "keep"), ("Esc", "cancel")] }
        return [
            ("↑↓", "field"), ("Enter/Space", "change"), ("F2", "save"), ("u", "undo edits"), ("F", "project/fleet"),
            ("Esc", "back"), ("q", "quit"),
        ]
    }

    func value(_ index: Int, of policy: Policy) -> String {
        switch index {
        case 0: policy.schemaCoalescingMode.rawValue
        case 1: String(policy.allowAdditiveContinue)
        case 2: String(policy.allowAutoCreateDeviceDataPoints)
        case 3: String(policy.maxPendingRowsPerLineage)
        case 4: String(policy.maxPendingBytesPerLineage)
        default: String(policy.resumeThresholdPercent)
        }
    }

    /// Enter/Space: a mode cycles, a flag flips, a number opens for typing.
    mutating func change() {
        switch selected {
        case 0:
            let modes = CoalescingMode.allCases
            draft.schemaCoalescingMode = modes[(modes.firstIndex(of: draft.schemaCoalescingMode)! + 1) % modes.count]
        case 1: draft.allowAdditiveContinue.toggle()
        case 2: draft.allowAutoCreateDeviceDataPoints.toggle()
        default: editing = value(selected, of: draft)
        }
    }

    /// Enter on a typed number: kept only when it is a whole number.
    mutating func commitEdit() {
        guard let text = editing, let number = Int64(text) else { return }
        switch selected {
        case 3: draft.maxPendingRowsPerLineage = number
        case 4: draft.maxPendingBytesPerLineage = number
        case 5: draft.resumeThresholdPercent = Int(number)
        default: break
        }
        editing = nil
    }

    /// The fields that differ from the saved policy, as a PATCH body.
    var patch: PolicyPatch {
        var patch = PolicyPatch()
        if draft.schemaCoalescingMode != saved.schemaCoalescingMode {
            patch.schemaCoalescingMode = draft.schemaCoalescingMode
        }
        if draft.allowAdditiveContinue != saved.allowAdditiveContinue {
            patch.allowAdditiveContinue = draft.allowAdditiveContinue
        }
        if draft.allowAutoCreateDeviceDataPoints != saved.allowAutoCreateDeviceDataPoints {
            patch.allowAutoCreateDeviceDataPoints = draft.allowAutoCreateDeviceDataPoints
        }
        if draft.maxPendingRowsPerLineage != saved.maxPendingRowsPerLineage {
            patch.maxPendingRowsPerLineage = draft.maxPendingRowsPerLineage
        }
        if draft.maxPendingBytesPerLineage != saved.maxPendingBytesPerLineage {
            patch.maxPendingBytesPerLineage = draft.maxPendingBytesPerLineage
        }
        if draft.resumeThresholdPercent != saved.resumeThresholdPercent {
            patch.resumeThresholdPercent = draft.resumeThresholdPercent
        }
        return patch
    }

    func draw(into grid: inout CellGrid, frame: ScreenFrame) {
        var table = TableView(
            columns: [
                TableView.Column("FIELD", min: 24, max: 40), TableView.Column("VALUE", min: 12, max: 24),
                TableView.Column("SAVED", min: 12, max: 24),
            ],
            rows: Self.fields.indices.map { index in
                let current = index == selected && editing != nil ? (editing! + "▏") : value(index, of: draft)
                return [Self.fields[index], current, value(index, of: saved)]
            }
        )
        table.styles = Self.fields.indices.map { index in
            [.plain, value(index, of: draft) == value(index, of: saved) ? .plain : .warning, .muted]
        }
        table.selected = selected
        let changed = draft != saved
        let scope =
            fleet.map { fleet in
                "Fleet \(fleet.name) policy (\(fleet.deviceCount) devices; "
                    + (fleet.hasOwnPolicy ? "its own)" : "follows the project until saved)")
            } ?? "Project policy" + (fleets.isEmpty ? "" : " (F: a fleet's)")
        frame.drawList(
            into: &grid,
            breadcrumb: ["Policy", fleet.map { "fleet \($0.name)" } ?? "project"],
            title: scope + (changed ? " · edited: F2 saves" : ""),
            keys: keys,
            table: table,
            empty: ""
        )
    }
}

extension PolicyScreen: ConsoleScreen {
    var helpTitle: String { "Policy" }

    mutating func handle(_ key: Terminal.Key, _ context: ScreenContext) -> [ScreenCommand]? {
        if editing != nil {
            switch key {
            case .escape: editing = nil
            case .backspace: _ = editing?.popLast()
            case .enter: commitEdit()
            case .character(let character) where character.isNumber: editing?.append(character)
            case .character(let character):
                return [.status("\(character) is not a digit: this field takes a whole number", .warning)]
            default: break
            }
            return []
        }
        switch key {
        case .character("F"):
            // Project → each fleet → project; unsaved edits belong to the scope they were made in.
            let scopes: [Fleet?] = [nil] + fleets
            let index = scopes.firstIndex { $0?.id == fleet?.id } ?? 0
            return [.policyScope(scopes[(index + 1) % scopes.count])]
        case .up, .character("k"): selected = max(0, selected - 1)
        case .down, .character("j"): selected = min(Self.fields.count - 1, selected + 1)
        // Space changes the field here (the footer says so), never the refresh.
        case .enter, .character(" "): change()
        case .character("u"): draft = saved
        case .function(2), .character("\u{13}"):
            guard draft != saved else { return [.status("nothing changed", .muted)] }
            return [.perform(.savePolicy(patch, fleet: fleet))]
        default:
            return nil
        }
        return []
    }
}

import EdgeSyncModels

extension ConsoleApp {
    /// What sits over the screen and takes every key first; at most one at a time, so which one
    /// answers a key never depends on the order of checks.
    enum Mode: Sendable {
        /// The `:` jump prompt, with what is typed.
        case prompt(String)
        /// The `/` filter being typed on the lineages screen.
        case filter(String)
        /// The help overlay: any key closes it.
        case help
        /// A destructive action waiting for its confirmation.
        case dialog(ConfirmDialog, Mutation)
        /// The write-back form of the lineage on screen.
        case writeBack(WriteBackForm, lineageID: String, deviceID: String)

        /// The dialog, when one is open.
        var dialog: ConfirmDialog? {
            if case .dialog(let dialog, _) = self { return dialog }
            return nil
        }
    }

    /// A key while a mode is open: whether to reload, and the mutation it confirms.
    func handle(_ key: Terminal.Key, in mode: Mode, _ state: inout State) -> (Bool, Mutation?) {
        switch mode {
        case .help:
            state.mode = nil
        case .prompt(var text):
            switch key {
            // No jump target has a q: it closes the prompt, as Esc does, rather than being typed.
            case .escape, .character("q"): state.mode = nil
            case .backspace:
                _ = text.popLast()
                state.mode = .prompt(text)
            case .character(let character): state.mode = .prompt(text + String(character))
            case .enter:
                state.mode = nil
                return (Self.jump(to: text, &state), nil)
            default: break
            }
        case .filter(let text):
            switch key {
            case .escape: state.mode = nil
            case .backspace: state.mode = .filter(String(text.dropLast()))
            case .enter:
                state.lineages.query = text.isEmpty ? nil : text
                state.lineages.page.meta.page = 1
                state.mode = nil
                return (true, nil)
            case .character(let character): state.mode = .filter(text + String(character))
            default: break
            }
        case .writeBack(var form, let lineageID, let deviceID):
            switch form.handle(key) {
            case .cancel: state.mode = nil
            case .send:
                state.mode = nil
                return (false, .writeBack(deviceID: deviceID, lineageID: lineageID, row: form.row))
            case .none: state.mode = .writeBack(form, lineageID: lineageID, deviceID: deviceID)
            }
        case .dialog(var dialog, let action):
            switch dialog.handle(key) {
            case .cancel: state.mode = nil
            case .confirm:
                state.mode = nil
                return (false, action.with(dialogText: dialog.text))
            case .none: state.mode = .dialog(dialog, action)
            }
        }
        return (false, nil)
    }

    /// `:target` Enter: whether the screen changed (and must be loaded).
    private static func jump(to target: String, _ state: inout State) -> Bool {
        switch target {
        case "lineages": state.stack = [.lineages]
        case "reviews": state.stack = [.reviews(.device)]
        case "registry": state.stack = [.registry]
        case "log": state.stack.append(.actionLog)
        case "devices": state.stack = [.devices]
        case "policy":
            state.policy = nil
            state.stack = [.policy]
        case "events":
            state.events = nil
            state.stack = [.events]
        default:
            state.frame.status = (":\(target) is not a screen here (\(jumpTargets))", .error)
            return false
        }
        return true
    }
}

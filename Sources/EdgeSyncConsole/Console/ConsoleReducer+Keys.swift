import EdgeSyncModels

extension ConsoleReducer {
    static let jumpTargets = "lineages, reviews, registry, devices, policy, events, log"

    /// A key goes to the one mode that is open, else to the screen on top, else to the console's
    /// own keys; what it asks for is then checked against the token and carried out.
    func key(_ key: Terminal.Key, pageSize: Int, _ state: inout State) -> [Effect] {
        let commands: [ScreenCommand]
        if let mode = state.mode {
            commands = Self.handle(key, in: mode, &state)
        } else if var screen = state.top,
            let answer = screen.handle(key, ScreenContext(route: state.route, pageSize: pageSize))
        {
            state.top = screen
            commands = answer
        } else {
            commands = Self.global(key, &state)
        }
        return carryOut(commands, &state)
    }

    /// Keys no screen takes for itself.
    static func global(_ key: Terminal.Key, _ state: inout State) -> [ScreenCommand] {
        switch key {
        case .character("q"), .character("\u{3}"):
            state.quit = true
        case .escape, .left:
            guard state.stack.count == 1 else { return [.back] }
            return [.status("this is a top screen: : jumps to another (\(jumpTargets)), q quits", .muted)]
        case .character(":"):
            return [.mode(.prompt(""))]
        case .character("?"):
            return [.mode(.help)]
        case .character("L"):
            return [.open(.actionLog)]
        case .character("r"):
            return [.reload]
        case .character(" "):
            state.refreshPaused.toggle()
            return [.status(state.refreshPaused ? "auto-refresh paused (Space resumes)" : "auto-refresh on", .muted)]
        default:
            break
        }
        return []
    }

    /// A key while a mode is open: it takes every key until it closes.
    static func handle(_ key: Terminal.Key, in mode: ConsoleApp.Mode, _ state: inout State) -> [ScreenCommand] {
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
                return jump(to: text)
            default: break
            }
        case .filter(let text):
            switch key {
            case .escape: state.mode = nil
            case .backspace: state.mode = .filter(String(text.dropLast()))
            case .enter:
                state.mode = nil
                guard var list = state.top as? any TextFilteredList else { return [] }
                list.filter(by: text)
                state.top = list
                return [.reload]
            case .character(let character): state.mode = .filter(text + String(character))
            default: break
            }
        case .writeBack(var form, let lineageID, let deviceID):
            switch form.handle(key) {
            case .cancel: state.mode = nil
            case .send:
                state.mode = nil
                return [.perform(.writeBack(deviceID: deviceID, lineageID: lineageID, row: form.row))]
            case .none: state.mode = .writeBack(form, lineageID: lineageID, deviceID: deviceID)
            }
        case .dialog(var dialog, let action):
            switch dialog.handle(key) {
            case .cancel: state.mode = nil
            case .confirm:
                state.mode = nil
                return [.perform(action.with(dialogText: dialog.text))]
            case .none: state.mode = .dialog(dialog, action)
            }
        }
        return []
    }

    /// `:target` Enter.
    private static func jump(to target: String) -> [ScreenCommand] {
        let route: ConsoleApp.Route
        switch target {
        case "lineages": route = .lineages
        case "reviews": route = .reviews(.device)
        case "registry": route = .registry
        case "log": return [.open(.actionLog)]
        case "devices": route = .devices
        case "policy": route = .policy
        case "events": route = .events
        default: return [.status(":\(target) is not a screen here (\(jumpTargets))", .error)]
        }
        return [.root(route)]
    }

    /// Carries out what a key asked for. A change the token may not make is refused with the
    /// reason, and nothing is sent.
    private func carryOut(_ commands: [ScreenCommand], _ state: inout State) -> [Effect] {
        var reload = false
        var mutation: ConsoleApp.Mutation?
        for command in commands {
            switch command {
            case .open(let route):
                state.show(route)
                reload = true
            case .replace(let route):
                state.show(route, .replaceTop)
                reload = true
            case .root(let route):
                state.show(route, .root)
                reload = true
            case .back:
                guard state.stack.count > 1 else { break }
                state.stack.removeLast()
                reload = true
            case .reload: reload = true
            case .perform(let asked):
                guard access.allows(asked) else {
                    refuse(&state)
                    return []
                }
                mutation = asked
            case .mode(let mode):
                let allowed =
                    switch mode {
                    case .dialog(_, let asked): access.allows(asked)
                    case .writeBack: access.canOperate
                    case .prompt, .filter, .help: true
                    }
                guard allowed else {
                    refuse(&state)
                    return []
                }
                state.mode = mode
            case .status(let text, let style): state.frame.status = (text, style)
            case .clearError: if state.frame.status?.style == .error { state.frame.status = nil }
            case .policyScope(let fleet):
                state.policyFleet = fleet
                state.policy = nil
                reload = true
            }
        }
        if let mutation { return [.perform(mutation, summary: mutation.summary(named: mutation.subject(in: state)))] }
        return reload ? refresh(&state) : []
    }

    private func refuse(_ state: inout State) {
        state.mode = nil
        state.frame.status = (
            "\(access.reason ?? "not allowed"): that key changes the server (? lists what is off)", .warning
        )
    }
}

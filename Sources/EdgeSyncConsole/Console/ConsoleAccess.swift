import EdgeSyncModels

/// What this console may change (docs/spec/tui.md "Read-only"): `--readonly`, or a token without the
/// `operate` scope, turns every mutating key off; a token without `admin` turns off the keys
/// that need it (devices, credentials, policy). The help overlay lists them with the reason.
struct ConsoleAccess: Sendable, Hashable {
    var canOperate: Bool
    var canAdminister: Bool
    /// Why keys are off, for the help overlay and the status line.
    var reason: String?

    static let full = ConsoleAccess(canOperate: true, canAdminister: true, reason: nil)

    init(canOperate: Bool, canAdminister: Bool, reason: String?) {
        self.canOperate = canOperate
        self.canAdminister = canAdminister
        self.reason = reason
    }

    /// From `--readonly` and the token's scopes (nil when the server could not say).
    init(readonlyFlag: Bool, token: CurrentToken?) {
        if readonlyFlag {
            self.init(canOperate: false, canAdminister: false, reason: "read-only console (--readonly)")
        } else if let token, !token.allows("operate") {
            self.init(
                canOperate: false,
                canAdminister: false,
                reason: "the token \(token.name) lacks the operate scope"
            )
        } else if let token, !token.allows("admin") {
            self.init(canOperate: true, canAdminister: false, reason: "the token \(token.name) lacks the admin scope")
        } else {
            self = .full
        }
    }

    /// Keys that change the server, per kind of screen.
    static let operateKeys: Set<String> = ["c", "a", "e", "x", "i", "A", "D", "W", "F2", "y"]
    static let adminKeys: Set<String> = ["+", "P", "C", "Enter/Space", "F2"]

    /// The keys of a screen that are off; `adminScreen` for devices and policy.
    func disabled(_ key: String, adminScreen: Bool) -> Bool {
        if adminScreen { return !canAdminister && Self.adminKeys.contains(key) }
        return !canOperate && Self.operateKeys.contains(key)
    }

    /// The help overlay of a screen: its keys, the ones that are off listed apart with the reason.
    func help(title: String, keys: [(key: String, action: String)], adminScreen: Bool) -> HelpOverlay {
        let disabled = keys.filter { self.disabled($0.key, adminScreen: adminScreen) }
        return HelpOverlay(
            screenTitle: title,
            keys: keys.filter { !self.disabled($0.key, adminScreen: adminScreen) },
            disabled: disabled,
            readOnlyReason: disabled.isEmpty ? nil : reason
        )
    }

    func allows(_ mutation: ConsoleApp.Mutation) -> Bool {
        mutation.needsAdmin ? canAdminister : canOperate
    }
}

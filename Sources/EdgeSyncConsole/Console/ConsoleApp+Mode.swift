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
}

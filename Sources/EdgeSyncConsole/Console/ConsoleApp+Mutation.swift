import EdgeSyncModels

extension ConsoleApp {
    /// A change the console asks the server for.
    enum Mutation: Sendable {
        case claim(reviewID: String, ReviewSource, actionVersion: Int)
        case approve(
            reviewID: String,
            ReviewSource,
            actionVersion: Int,
            actions: [ColumnAction],
            syncAuthority: SyncAuthority? = nil
        )
        case reject(reviewID: String, ReviewSource, actionVersion: Int, reason: String? = nil)
        case abandon(reviewID: String, ReviewSource, actionVersion: Int)
        case resetMaterialization(lineageID: String)
        case reingest(entryID: Int64)
        case deleteLineage(lineageID: String)
        case writeBack(deviceID: String, lineageID: String, row: StateWriteRequest.Row)
        case registerDevice(name: String)
        case savePolicy(PolicyPatch, fleet: Fleet?)
        case issueCredentials(deviceID: String, name: String, kind: CredentialKind)

        /// How the action log names it: reviews and lineages by device/table as `named` finds
        /// them on screen, by the start of their id otherwise.
        func summary(named: String? = nil) -> String {
            let name = named.map { " of \($0)" }
            switch self {
            case .claim(let id, let source, _): return "claim \(source.rawValue) review" + (name ?? " \(id.prefix(8))")
            case .approve(let id, let source, _, let actions, let authority):
                return "approve \(source.rawValue) review" + (name ?? " \(id.prefix(8))")
                    + " with \(actions.count) column actions" + (authority.map { " (\($0.rawValue))" } ?? "")
            case .reject(let id, let source, _, let reason):
                return "reject \(source.rawValue) review" + (name ?? " \(id.prefix(8))")
                    + (reason.map { " (\($0))" } ?? "")
            case .abandon(let id, let source, _):
                return "abandon \(source.rawValue) review" + (name ?? " \(id.prefix(8))")
            case .resetMaterialization(let id):
                return "reset materialization of " + (named ?? "lineage \(id.prefix(8))")
            case .reingest(let id): return "re-ingest rejected batch entry \(id)"
            case .deleteLineage(let id): return "delete lineage " + (named ?? String(id.prefix(8)))
            case .writeBack(_, let id, let row):
                return "write back \(CanonicalJSON.string(of: .object(row.pk))) to "
                    + (named ?? "lineage \(id.prefix(8))")
            case .registerDevice(let name): return "register device \(name)"
            case .savePolicy(_, let fleet):
                return "save the " + (fleet.map { "fleet \($0.name) policy" } ?? "project policy")
            case .issueCredentials(_, let name, let kind): return "issue \(kind.rawValue) credentials to \(name)"
            }
        }

        /// The device/table of the review or lineage it acts on, from what the console shows.
        func subject(in state: State) -> String? {
            switch self {
            case .claim(let id, _, _), .approve(let id, _, _, _, _), .reject(let id, _, _, _), .abandon(let id, _, _):
                let reviews =
                    [state.review?.detail.review, state.editor?.detail.review].compactMap { $0 }
                    + state.reviews.page.data + state.registryReviews.page.data
                return reviews.first { $0.id == id }.map { "\($0.deviceName ?? $0.scope.rawValue)/\($0.sourceTable)" }
            case .resetMaterialization(let id), .deleteLineage(let id), .writeBack(_, let id, _):
                let lineages = [state.lineage?.detail.lineage].compactMap { $0 } + state.lineages.page.data
                return lineages.first { $0.id == id }.map { "\($0.deviceName)/\($0.sourceTable)" }
            case .reingest, .registerDevice, .savePolicy, .issueCredentials:
                return nil
            }
        }

        /// What the action log keeps of a success: the status line's message, but never a
        /// password it showed once.
        func logged(_ status: String?) -> String {
            if case .issueCredentials(_, _, .password) = self { return "a new password, shown once on the status line" }
            return status ?? "done"
        }

        /// Devices, credentials and policy need the `admin` scope; the rest `operate`.
        var needsAdmin: Bool {
            switch self {
            case .registerDevice, .issueCredentials, .savePolicy: true
            default: false
            }
        }

        /// The mutation with what its dialog's field collected (a reason, a name).
        func with(dialogText text: String) -> Mutation {
            switch self {
            case .reject(let id, let source, let version, _):
                .reject(reviewID: id, source, actionVersion: version, reason: text.isEmpty ? nil : text)
            case .registerDevice: .registerDevice(name: text)
            default: self
            }
        }
    }
}

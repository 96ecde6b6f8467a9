import EdgeSyncModels
import Foundation

/// The console's rules: from the state and one input, the next state and the effects the runner
/// (`ConsoleApp`) carries out. It has no terminal, no server and no clock of its own, so every key
/// sequence is tested on values alone.
struct ConsoleReducer: Sendable {
    typealias State = ConsoleApp.State
    /// A loaded page or a mutation's result, applied to the state it lands in.
    typealias Apply = @Sendable (inout State) -> Void

    enum Input: Sendable {
        case key(Terminal.Key, pageSize: Int)
        /// The clock: a refresh falls due.
        case tick(Date)
        /// The top screen's data for `route` and the header counts.
        case loaded(ConsoleApp.Route, EdgeSummary, Apply, at: Date)
        case loadFailed(String, unreachable: Bool, at: Date)
        case performed(ConsoleApp.Mutation, summary: String, Outcome, at: Date)
        case previewAnswered(
            reviewID: String,
            ReviewSource,
            ColumnEditorScreen.PreviewAnswer,
            for: [ColumnAction]
        )
        /// An event of the live stream.
        case streamed(Event)
        /// A signal or a closed terminal.
        case quit
    }

    /// A mutation's result as the server gave it.
    enum Outcome: Sendable {
        case done(String, CellStyle, Apply?)
        case failed(String, versionConflict: Bool)
    }

    enum Effect: Sendable {
        /// Load the top screen of this state, and the header counts.
        case load(State)
        case perform(ConsoleApp.Mutation, summary: String)
        /// The DDL and landing rows these actions would give.
        case preview(reviewID: String, ReviewSource, [ColumnAction])
        /// Open (true) or close the events screen's live stream.
        case streamEvents(Bool)
    }

    /// What the token (and `--readonly`) allow; other mutating keys are off.
    let access: ConsoleAccess
    /// Seconds between refreshes (docs/spec/tui.md: 5), doubled after each failure up to 16 times.
    let refreshInterval: TimeInterval

    func reduce(_ state: inout State, _ input: Input) -> [Effect] {
        var effects: [Effect]
        switch input {
        case .key(let key, let pageSize):
            effects = self.key(key, pageSize: pageSize, &state)
        case .tick(let now):
            let backoff = refreshInterval * pow(2, Double(min(state.failures, 4)))
            let due = !state.refreshPaused && now.timeIntervalSince(state.loadedAt ?? .distantPast) >= backoff
            effects = due ? refresh(&state) : []
        case .loaded(let route, let counts, let apply, let at):
            if state.route == route { apply(&state) }
            state.frame.connected = true
            state.frame.counts = counts
            if state.failures > 0 || state.frame.status?.text == "loading…" { state.frame.status = nil }
            state.failures = 0
            // A load for a screen already left is due again at once, for the screen now on.
            state.loadedAt = state.route == route ? at : nil
            state.loading = false
            effects = []
        case .loadFailed(let message, let unreachable, let at):
            state.failures += 1
            state.frame.connected = !unreachable
            state.frame.status = (message, .error)
            state.loadedAt = at
            state.loading = false
            effects = []
        case .performed(let mutation, let summary, let outcome, let at):
            let entry: ActionLogScreen.Entry
            switch outcome {
            case .done(let message, let style, let apply):
                apply?(&state)
                state.frame.status = (message, style)
                entry = .init(time: Self.clock(at), action: summary, ok: true, result: mutation.logged(message))
            case .failed(let message, let conflict):
                state.frame.status = (message + (conflict ? " (the review changed; reloaded)" : ""), .error)
                entry = .init(time: Self.clock(at), action: summary, ok: false, result: message)
            }
            state.actions.insert(entry, at: 0)
            state.loadedAt = nil
            effects = refresh(&state)
        case .previewAnswered(let id, let source, let answer, let actions):
            if state.route == .editor(id, source) { state.editor?.receive(answer, for: actions) }
            effects = []
        case .streamed(let event):
            state.events?.live = true
            state.events?.append(event)
            effects = []
        case .quit:
            state.quit = true
            effects = []
        }
        return effects + followUps(&state)
    }

    /// A load of the top screen unless one is on its way.
    func refresh(_ state: inout State) -> [Effect] {
        guard !state.loading else { return [] }
        state.loading = true
        return [.load(state)]
    }

    /// What any input may make due: the editor's preview for actions not asked about yet, and the
    /// live stream while (and only while) the events screen is on.
    private func followUps(_ state: inout State) -> [Effect] {
        var effects: [Effect] = []
        if case .editor(let id, let source) = state.route, let due = state.editor?.previewDue {
            state.editor?.requested = due
            effects.append(.preview(reviewID: id, source, due))
        }
        let streaming = state.route == .events && state.events != nil && !state.quit
        if streaming != state.streaming {
            state.streaming = streaming
            effects.append(.streamEvents(streaming))
        }
        return effects
    }

    /// `HH:MM:SS`, local time, for the action log.
    static func clock(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: date)
    }
}

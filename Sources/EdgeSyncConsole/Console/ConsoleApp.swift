import EdgeSyncModels
import Foundation
import Synchronization

/// The interactive console's runner: it feeds keys, the clock and the server's answers to the
/// reducer and carries out the effects it returns (loads, mutations, previews, the live stream).
/// The refresh never overlaps itself, backs off on errors and can be paused.
final class ConsoleApp: Sendable {
    let client: APIClient
    let loader: ConsoleLoader
    let reducer: ConsoleReducer
    let state: Mutex<State>
    /// The events screen's SSE stream while it is on.
    private let eventStream = Mutex<EventStream?>(nil)
    /// Seconds a status message stays on its screen.
    static let statusLifetime: TimeInterval = 10

    /// `start` is the first screen (the demo opens on the queued reviews).
    init(
        client: APIClient,
        project: Project,
        serverLabel: String,
        access: ConsoleAccess = .full,
        start: Route = .lineages,
        refreshInterval: TimeInterval = 5
    ) {
        self.client = client
        loader = ConsoleLoader(client: client, base: "/projects/\(project.id)")
        reducer = ConsoleReducer(access: access, refreshInterval: refreshInterval)
        state = Mutex(State(project: project, serverLabel: serverLabel, start: start))
    }

    /// Ends `run` at its next turn (Ctrl+C, SIGHUP or SIGTERM: the terminal closed or the process is
    /// told to stop).
    func quit() {
        send(.quit)
    }

    /// Runs on the calling thread until `q` or Ctrl+C.
    func run(terminal: Terminal) {
        while !state.withLock({ $0.quit }) {
            send(.tick(Date()))
            let (width, height) = terminal.size
            terminal.draw(
                state.withLock { $0 }.render(width: width, height: height, access: reducer.access, now: Date())
            )
            if let key = terminal.key(timeout: 200) { send(.key(key, pageSize: max(5, height - 9))) }
        }
    }

    /// One input through the reducer, then its effects.
    func send(_ input: ConsoleReducer.Input) {
        let effects = state.withLock { reducer.reduce(&$0, input) }
        for effect in effects { carryOut(effect) }
    }

    private func carryOut(_ effect: ConsoleReducer.Effect) {
        switch effect {
        case .load(let snapshot):
            Task { [loader] in
                do {
                    let counts = try await loader.counts()
                    let apply = try await loader.load(snapshot.route, snapshot)
                    send(.loaded(snapshot.route, counts, apply, at: Date()))
                } catch {
                    let unreachable = (error as? ClientError)?.code == "unreachable"
                    send(.loadFailed("\(error)", unreachable: unreachable, at: Date()))
                }
            }
        case .perform(let mutation, let summary):
            Task { [client, loader] in
                let outcome = await Self.outcome(of: mutation, client: client, base: loader.base)
                send(.performed(mutation, summary: summary, outcome, at: Date()))
            }
        case .preview(let id, let source, let actions):
            Task { [loader] in
                let answer = await loader.preview(reviewID: id, source, actions)
                send(.previewAnswered(reviewID: id, source, answer, for: actions))
            }
        case .streamEvents(let on):
            let stream = on ? EventStream(client: client, path: "\(loader.base)/events/stream") : nil
            let previous = eventStream.withLock { current in
                defer { current = stream }
                return current
            }
            previous?.stop()
            stream?.start { event in self.send(.streamed(event)) }
        }
    }
}

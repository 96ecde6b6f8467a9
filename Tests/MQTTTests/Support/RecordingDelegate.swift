import MQTT
import NIOCore
import TestSupport

/// Records what the listener hands the application, and can be told to fail.
actor RecordingDelegate: MQTTListenerDelegate {
    private(set) var messages: [(clientID: String, topic: String, payload: String, dup: Bool)] = []
    private(set) var denials: [(clientID: String, denial: MQTTACLDenial)] = []
    private(set) var connects: [MQTTSessionInfo] = []
    private(set) var disconnects: [MQTTSessionInfo] = []
    /// Number of upcoming messages to fail (no PUBACK, connection closed).
    var failures = 0

    struct Refused: Error {}

    func failNext(_ count: Int) { failures = count }

    /// Connects wait in `didConnect` while held.
    private var holdingConnects = false
    private var heldConnects: [CheckedContinuation<Void, Never>] = []

    func holdConnects() { holdingConnects = true }

    func releaseConnects() {
        holdingConnects = false
        for connect in heldConnects { connect.resume() }
        heldConnects = []
    }

    nonisolated func mqttListener(didConnect session: MQTTSessionInfo) async {
        await record(connect: session)
        await waitWhileHeld()
    }

    private func waitWhileHeld() async {
        guard holdingConnects else { return }
        await withCheckedContinuation { heldConnects.append($0) }
    }
    nonisolated func mqttListener(didDisconnect session: MQTTSessionInfo) async { await record(disconnect: session) }

    nonisolated func mqttListener(didReceive message: MQTTInboundPublish, from session: MQTTSessionInfo) async throws {
        try await record(message, clientID: session.clientID)
    }

    nonisolated func mqttListener(didDeny denial: MQTTACLDenial, session: MQTTSessionInfo) async {
        await record(denial: denial, clientID: session.clientID)
    }

    private func record(connect session: MQTTSessionInfo) { connects.append(session) }
    private func record(disconnect session: MQTTSessionInfo) { disconnects.append(session) }
    private func record(denial: MQTTACLDenial, clientID: String) { denials.append((clientID, denial)) }

    private func record(_ message: MQTTInboundPublish, clientID: String) throws {
        if failures > 0 {
            failures -= 1
            throw Refused()
        }
        messages.append((clientID, message.topic, String(buffer: message.payload), message.dup))
    }

    /// Polls until `condition` holds or `timeout` passes.
    func waitFor(
        _ timeout: Duration = hangDeadline,
        _ condition: @Sendable (isolated RecordingDelegate) -> Bool
    ) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !condition(self) {
            if ContinuousClock.now > deadline { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }
}

import EdgeSyncModels
import Logging
import MQTT
import NIOCore
import Synchronization

/// The listener's application side: authenticated devices' messages go through the ingest
/// pipeline (PUBACK after the commit), controls go out on connect and after each decision. Each
/// connection is a session in the store, so that every replica knows where a device is: one that
/// connects to another replica is let go here.
final class MQTTIngress: MQTTListenerDelegate, ControlCourier, DeviceConnections {
    let store: any GovernanceStore
    let pipeline: IngestPipeline
    let metrics: ServerMetrics
    let logger: Logger
    let replicaID: String
    /// Devices by client id, filled at authentication so each message needs no lookup.
    private let devices = Mutex<[String: DeviceIdentity]>([:])
    /// The plain and TLS listeners; a device is connected to at most one of them.
    private let listeners = Mutex<[MQTTListener]>([])
    /// The sessions this replica holds, by device id: the connection and the session's epoch.
    private let sessions = Mutex<[String: (name: String, connectionID: UInt64, epoch: String)]>([:])

    init(
        store: any GovernanceStore,
        metrics: ServerMetrics,
        logger: Logger,
        replicaID: String,
        uploads: UploadDesk? = nil
    ) {
        self.store = store
        self.pipeline = IngestPipeline(store: store, uploads: uploads)
        self.metrics = metrics
        self.logger = logger
        self.replicaID = replicaID
    }

    func attach(_ listener: MQTTListener) {
        listeners.withLock { $0.append(listener) }
    }

    /// The principal of a known device (and remembers it for its messages).
    func principal(for device: DeviceIdentity) -> MQTTPrincipal {
        devices.withLock { $0[device.name] = device }
        return MQTTPrincipal(clientID: device.name, rootTopic: device.rootTopic, identity: device.id)
    }

    func device(_ session: MQTTSessionInfo) -> DeviceIdentity? {
        devices.withLock { $0[session.clientID] }
    }

    /// A payload this small or smaller that is not compressed validates in a few microseconds,
    /// less than handing it to another task costs: it is handled whole, in its turn (with a
    /// thousand devices publishing one sample a second, each publish took one thread handoff
    /// fewer). A zstd frame may hold a far larger document.
    static let preparedInTurnBytes = 2_048

    func preparesAhead(_ message: MQTTInboundPublish) -> Bool { Self.preparesAhead(message.payload) }

    static func preparesAhead(_ payload: ByteBuffer) -> Bool {
        payload.readableBytes > preparedInTurnBytes
            || payload.withUnsafeReadableBytes { ContentEncoding.isZstdFrame($0) }
    }

    func mqttListener(didReceive message: MQTTInboundPublish, from session: MQTTSessionInfo) async throws {
        try await mqttListener(prepare: message, from: session)()
    }

    /// Validation and planning run ahead; the commit, the metrics and the controls it decided
    /// follow in the connection's order.
    func mqttListener(prepare message: MQTTInboundPublish, from session: MQTTSessionInfo) async -> MQTTPublishCommit {
        guard let device = device(session),
            let parsed = TopicLayout.parse(message.topic), let uplink = parsed.uplink
        else { return {} }
        let start = ContinuousClock.now
        let prepared = pipeline.prepare(
            device: device,
            topic: uplink,
            payload: Array(message.payload.readableBytesView),
            receivedAt: .now
        )
        return { [self] in
            let result = try await pipeline.commit(prepared)
            metrics.recordIngest(result, duration: ContinuousClock.now - start)
            await deliver(result.controls)
        }
    }

    func mqttListener(didConnect session: MQTTSessionInfo) async {
        guard let device = device(session) else { return }
        metrics.deviceConnected()
        do {
            let epoch = try await store.openSession(
                device: device,
                replicaID: replicaID,
                outcome: session.usesTLS ? "tls" : "tcp"
            )
            sessions.withLock { $0[device.id] = (device.name, session.connectionID, epoch) }
            // Before any other control, so the device knows at once what it may compress.
            for listener in listeners.withLock({ $0 }) where await listener.isConnected(device.name) {
                await listener.publish(
                    to: device.name,
                    topic: device.rootTopic + "/" + TopicLayout.controlSuffix,
                    payload: ByteBuffer(bytes: try DownlinkControl.serverHello().body())
                )
            }
            await deliver(try await store.unacknowledgedControls(deviceID: device.id))
        } catch {
            logger.error("connect bookkeeping failed", metadata: ["device": "\(device.name)", "error": "\(error)"])
        }
    }

    func mqttListener(didDisconnect session: MQTTSessionInfo) async {
        guard let device = device(session) else { return }
        metrics.deviceDisconnected()
        // A newer connection of the device (here, or at another replica) keeps its session.
        let ended = sessions.withLock { sessions -> String? in
            guard let held = sessions[device.id], held.connectionID == session.connectionID else { return nil }
            sessions[device.id] = nil
            return held.epoch
        }
        try? await store.closeSession(device: device, epoch: ended)
    }

    func mqttListener(didDeny denial: MQTTACLDenial, session: MQTTSessionInfo) async {
        guard let device = device(session) else { return }
        try? await store.recordEvent(
            device: device,
            kind: .deviceACLDenied,
            outcome: denial.action.rawValue,
            message: "\(denial.action.rawValue) \(denial.topic) refused"
        )
    }

    /// Lets go of devices whose newest session is at another replica: their connection here is
    /// the older one. Only sessions held here before the read count: one opened here while it
    /// ran may be newer than the other replica's row it saw, and is kept.
    func releaseTakenOver() async throws {
        let held = sessions.withLock { $0.mapValues(\.epoch) }
        let moved = try await store.sessionsTakenOver(from: replicaID, window: ReplicaTiming.takeoverWindow)
        let names = sessions.withLock { sessions in
            Self.released(moved, heldBefore: held, heldNow: sessions.mapValues(\.epoch)).compactMap { device in
                defer { sessions[device] = nil }
                return sessions[device]?.name
            }
        }
        for name in names {
            logger.info(
                "device connected to another replica: closing its connection here",
                metadata: ["device": "\(name)"]
            )
            await disconnect(deviceName: name)
        }
    }

    /// The devices a takeover read lets go (device ids, in `moved`'s order): those whose session
    /// here, by epoch, is still the one held before the read.
    static func released(
        _ moved: [String],
        heldBefore: [String: String],
        heldNow: [String: String]
    ) -> [String] {
        moved.filter { device in heldNow[device].map { $0 == heldBefore[device] } ?? false }
    }

    /// Delivers the controls of devices connected here that have not been sent (decided at
    /// another replica, or due for a resend).
    func deliverDue() async throws {
        await deliver(try await store.dueControls(replicaID: replicaID, limit: 500))
    }

    func disconnect(deviceName: String) async {
        for listener in listeners.withLock({ $0 }) { await listener.disconnect(deviceName) }
    }

    /// Publishes controls on their devices' control topics; they stay pending until the ACK. A
    /// device that is not connected gets them when it connects.
    func deliver(_ controls: [OutboundControl]) async {
        guard !controls.isEmpty else { return }
        let listeners = listeners.withLock { $0 }
        var sent: [String] = []
        for control in controls {
            let topic = TopicLayout(topicSlug: control.topicSlug).controlTopic(deviceName: control.deviceName)
            for listener in listeners where await listener.isConnected(control.deviceName) {
                await listener.publish(to: control.deviceName, topic: topic, payload: ByteBuffer(bytes: control.body))
                sent.append(control.id)
            }
        }
        try? await store.markControlsSent(ids: sent, at: .now)
    }
}

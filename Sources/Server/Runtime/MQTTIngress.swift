import EdgeSyncModels
import Logging
import MQTT
import NIOCore
import Synchronization

/// The listener's application side: authenticated devices' messages go through the ingest
/// pipeline (PUBACK after the commit), controls go out on connect and after each decision.
final class MQTTIngress: MQTTListenerDelegate {
    let store: any GovernanceStore
    let pipeline: IngestPipeline
    let metrics: ServerMetrics
    let logger: Logger
    /// Devices by client id, filled at authentication so each message needs no lookup.
    private let devices = Mutex<[String: DeviceIdentity]>([:])
    private let listener = Mutex<MQTTListener?>(nil)

    init(store: any GovernanceStore, metrics: ServerMetrics, logger: Logger) {
        self.store = store
        self.pipeline = IngestPipeline(store: store)
        self.metrics = metrics
        self.logger = logger
    }

    func attach(_ listener: MQTTListener) {
        self.listener.withLock { $0 = listener }
    }

    /// The principal of a known device (and remembers it for its messages).
    func principal(for device: DeviceIdentity) -> MQTTPrincipal {
        devices.withLock { $0[device.name] = device }
        return MQTTPrincipal(clientID: device.name, rootTopic: device.rootTopic, identity: device.id)
    }

    func device(_ session: MQTTSessionInfo) -> DeviceIdentity? {
        devices.withLock { $0[session.clientID] }
    }

    func mqttListener(didReceive message: MQTTInboundPublish, from session: MQTTSessionInfo) async throws {
        guard let device = device(session),
              let parsed = TopicLayout.parse(message.topic), let uplink = parsed.uplink
        else { return }
        let start = ContinuousClock.now
        let result = try await pipeline.ingest(
            device: device, topic: uplink, payload: Array(message.payload.readableBytesView), receivedAt: .now)
        metrics.recordIngest(result, duration: ContinuousClock.now - start)
        await deliver(result.controls, to: device)
    }

    func mqttListener(didConnect session: MQTTSessionInfo) async {
        guard let device = device(session) else { return }
        metrics.deviceConnected()
        do {
            try await store.markDeviceSeen(deviceID: device.id, at: .now)
            try await store.recordEvent(device: device, kind: .deviceConnected, outcome: session.usesTLS ? "tls" : "tcp", message: "connected")
            await deliver(try await store.unacknowledgedControls(deviceID: device.id), to: device)
        } catch {
            logger.error("connect bookkeeping failed", metadata: ["device": "\(device.name)", "error": "\(error)"])
        }
    }

    func mqttListener(didDisconnect session: MQTTSessionInfo) async {
        guard let device = device(session) else { return }
        metrics.deviceDisconnected()
        try? await store.recordEvent(device: device, kind: .deviceDisconnected, outcome: "closed", message: "disconnected")
    }

    func mqttListener(didDeny denial: MQTTACLDenial, session: MQTTSessionInfo) async {
        guard let device = device(session) else { return }
        try? await store.recordEvent(
            device: device, kind: .deviceACLDenied, outcome: denial.action.rawValue, message: "\(denial.action.rawValue) \(denial.topic) refused")
    }

    /// Publishes controls on the device's control topic; they stay pending until its ACK.
    func deliver(_ controls: [OutboundControl], to device: DeviceIdentity) async {
        guard !controls.isEmpty, let listener = listener.withLock({ $0 }) else { return }
        let topic = TopicLayout(topicSlug: device.topicSlug).controlTopic(deviceName: device.name)
        for control in controls {
            await listener.publish(to: device.name, topic: topic, payload: ByteBuffer(bytes: control.body))
        }
        try? await store.markControlsSent(ids: controls.map(\.id), at: .now)
    }
}

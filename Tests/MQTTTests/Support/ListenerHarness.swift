import MQTT
import NIOCore
import NIOSSL
import TestSupport

/// Starts a listener on an ephemeral loopback port with the wire protocol's device ACL
/// (root `dev/{client id}`) and a recording delegate.
struct ListenerHarness {
    static let uplinks: Set<String> = [
        "sync/rows/batch", "sync/telemetry/batch", "sync/schema/observe", "sync/ingest/ack", "sync/ingest/request",
    ]
    static let control = "sync/ingest/control"

    let listener: MQTTListener
    let delegate: RecordingDelegate
    let port: Int

    static func principal(_ clientID: String) -> MQTTPrincipal {
        MQTTPrincipal(clientID: clientID, rootTopic: "dev/" + clientID, identity: clientID)
    }

    /// Dev-open: any id except those starting with `bad`.
    static let devOpen = DevOpenAuthenticator { id in id.hasPrefix("bad") ? nil : principal(id) }

    /// Passwords: `{id}-secret`.
    static let passwords = PasswordAuthenticator { id, password, _ in
        password == Array((id + "-secret").utf8) ? principal(id) : nil
    }

    static let certificates = CertificateAuthenticator { id, _ in principal(id) }

    /// `connectTimeout` is the hang deadline unless a test is about it. The listener's default (10 s)
    /// is too short here: client and listener share the test process, whose threads are
    /// oversubscribed while the suite starts, and a client's CONNECT was seen to go out after it.
    static let connectTimeout = TimeAmount.seconds(hangDeadline.components.seconds)

    static func start(
        authenticator: any MQTTAuthenticator = devOpen,
        tls: TLSConfiguration? = nil,
        host: String = "127.0.0.1",
        connectTimeout: TimeAmount = ListenerHarness.connectTimeout,
        maximumIdle: TimeAmount = MQTTListenerConfiguration().maximumIdle
    ) async throws -> ListenerHarness {
        let delegate = RecordingDelegate()
        let listener = MQTTListener(
            configuration: MQTTListenerConfiguration(
                host: host,
                port: 0,
                tls: tls,
                connectTimeout: connectTimeout,
                maximumIdle: maximumIdle
            ),
            authenticator: authenticator,
            acl: DeviceTopicACL(publishSuffixes: uplinks, subscribeSuffixes: [control]),
            delegate: delegate
        )
        let port = try await listener.start()
        return ListenerHarness(listener: listener, delegate: delegate, port: port)
    }

    func raw() async throws -> RawMQTTConnection { try await RawMQTTConnection(port: port) }

    func stop() async { await listener.shutdown() }
}

extension ListenerHarness {
    /// Runs `body` with a started listener and always shuts it down afterwards.
    static func with<T>(
        authenticator: any MQTTAuthenticator = devOpen,
        tls: TLSConfiguration? = nil,
        host: String = "127.0.0.1",
        connectTimeout: TimeAmount = ListenerHarness.connectTimeout,
        maximumIdle: TimeAmount = MQTTListenerConfiguration().maximumIdle,
        _ body: (ListenerHarness) async throws -> T
    ) async throws -> T {
        try await scoped(
            try await start(
                authenticator: authenticator,
                tls: tls,
                host: host,
                connectTimeout: connectTimeout,
                maximumIdle: maximumIdle
            ),
            cleanup: { await $0.stop() },
            body
        )
    }
}

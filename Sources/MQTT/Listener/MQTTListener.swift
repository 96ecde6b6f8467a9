import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// The governance server's MQTT 3.1.1 ingress: authenticates devices, enforces the topic ACL,
/// hands every PUBLISH to the delegate (PUBACK only after it returns, see
/// `MQTTListenerDelegate`; `MQTTPublishHandler` does it on the event loop), and delivers QoS 1
/// downlinks through persistent sessions.
///
/// Not a general broker: clients cannot publish to each other; the only messages a client
/// receives are the application's downlinks. Will messages are accepted and discarded, since no
/// other client could receive them.
public final class MQTTListener: Sendable {
    public let configuration: MQTTListenerConfiguration
    let authenticator: any MQTTAuthenticator
    let acl: any MQTTTopicACL
    let delegate: any MQTTListenerDelegate
    let group: any EventLoopGroup
    let registry: MQTTSessionRegistry
    private let state = Mutex(State())
    private let connectionIDs = Atomic<UInt64>(0)

    /// An accepted connection: its channel, for the connection's task, and its publishes, which
    /// the channel's `MQTTPublishHandler` handles on the event loop.
    private struct Accepted: Sendable {
        var channel: NIOAsyncChannel<MQTTPacket, MQTTPacket>
        var publishes: MQTTPublishSequencer
    }

    private struct State {
        var serverChannel: (any Channel)?
        var acceptTask: Task<Void, Never>?
        var port: Int?
        /// Every accepted connection, registered or still in its CONNECT: shutdown closes them all.
        var open: [ObjectIdentifier: any Channel] = [:]
        /// Connections made ready but not yet taken by the accept loop. Shutdown can end the loop
        /// with some still on their way to it; those are closed here, since an async channel
        /// dropped without being closed through `executeThenClose` stops the process.
        var pending: [ObjectIdentifier: Accepted] = [:]
        var stopping = false
    }

    public init(
        configuration: MQTTListenerConfiguration,
        authenticator: any MQTTAuthenticator,
        acl: any MQTTTopicACL,
        delegate: any MQTTListenerDelegate,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.authenticator = authenticator
        self.acl = acl
        self.delegate = delegate
        self.group = group
        self.registry = MQTTSessionRegistry(maximumQueuedPerSession: configuration.maximumQueuedDownlinksPerSession)
    }

    /// The bound port, once started.
    public var port: Int? { state.withLock { $0.port } }

    /// Binds and starts accepting connections; returns the bound port.
    @discardableResult
    public func start() async throws -> Int {
        if authenticator.requiresLoopback, !Self.isLoopback(configuration.host) {
            throw MQTTListenerError.openListenerOnNonLoopbackAddress(configuration.host)
        }
        guard state.withLock({ $0.serverChannel == nil }) else { throw MQTTListenerError.alreadyStarted }
        let sslContext = try configuration.tls.map { try NIOSSLContext(configuration: $0) }
        let maximumPacketSize = configuration.maximumPacketSize
        let connectTimeout = configuration.connectTimeout
        let maximumIdle = configuration.maximumIdle
        let publishDepth = configuration.publishPipelineDepth
        let (acl, delegate) = (acl, delegate)
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let sslContext { try sync.addHandler(NIOSSLServerHandler(context: sslContext)) }
                    try sync.addHandler(ByteToMessageHandler(MQTTPacketDecoder(maximumPacketSize: maximumPacketSize)))
                    try sync.addHandler(MessageToByteHandler(MQTTPacketEncoder()))
                    try sync.addHandler(MQTTKeepAliveHandler(connectTimeout: connectTimeout, maximumIdle: maximumIdle))
                    let publishes = MQTTPublishSequencer(channel: channel, depth: publishDepth)
                    try sync.addHandler(MQTTPublishHandler(sequencer: publishes, acl: acl, delegate: delegate))
                    let accepted = Accepted(
                        channel: try NIOAsyncChannel<MQTTPacket, MQTTPacket>(wrappingChannelSynchronously: channel),
                        publishes: publishes
                    )
                    try self.hold(accepted)
                    return accepted
                }
            }
        let port = server.channel.localAddress?.port ?? configuration.port
        let task = Task<Void, Never> {
            _ = try? await server.executeThenClose { inbound in
                await withDiscardingTaskGroup { group in
                    do {
                        for try await connection in inbound {
                            // On the global executor, not the channel's event loop: see "A row's
                            // way" in docs/architecture.md.
                            group.addTask {
                                let channel = connection.channel.channel
                                guard self.track(channel) else {
                                    try? await connection.channel.executeThenClose { _, _ in }
                                    return
                                }
                                await self.serve(connection.channel, publishes: connection.publishes)
                                self.untrack(channel)
                            }
                        }
                    } catch {
                        // The server channel closed: shutdown.
                    }
                }
            }
        }
        state.withLock {
            $0.serverChannel = server.channel
            $0.acceptTask = task
            $0.port = port
        }
        return port
    }

    /// Stops accepting, closes every connection and waits for their handlers to finish.
    public func shutdown() async {
        let (channel, task) = state.withLock { state in
            defer {
                state.serverChannel = nil
                state.acceptTask = nil
                state.stopping = true
            }
            return (state.serverChannel, state.acceptTask)
        }
        try? await channel?.close()
        // Every connection, also one still in its CONNECT (not registered yet): a handler that
        // registered after the close of the registered ones would keep the accept task alive.
        for connection in state.withLock({ Array($0.open.values) }) {
            try? await connection.close()
        }
        await task?.value
        let pending = state.withLock { state in
            defer { state.pending = [:] }
            return Array(state.pending.values)
        }
        for accepted in pending { try? await accepted.channel.executeThenClose { _, _ in } }
    }

    /// Keeps a connection made ready until the accept loop takes it (`track`); refused once
    /// shutdown has begun, which makes NIO close it.
    private func hold(_ accepted: Accepted) throws {
        try state.withLock { state in
            guard !state.stopping else { throw ChannelError.ioOnClosedChannel }
            state.pending[ObjectIdentifier(accepted.channel.channel)] = accepted
        }
    }

    /// Connections accepted and not yet ended, registered or not (for diagnostics and tests).
    public var openConnectionCount: Int { state.withLock { $0.open.count } }

    /// Records an accepted connection; false once shutdown has begun (it is closed instead).
    private func track(_ channel: any Channel) -> Bool {
        state.withLock { state in
            state.pending[ObjectIdentifier(channel)] = nil
            guard !state.stopping else { return false }
            state.open[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    private func untrack(_ channel: any Channel) {
        _ = state.withLock { $0.open.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Sends a QoS 1 message to a client, now if it is connected and subscribed, else when it
    /// reconnects (persistent sessions) or subscribes. `acknowledged` runs when its PUBACK arrives.
    public func publish(
        to clientID: String,
        topic: String,
        payload: ByteBuffer,
        acknowledged: (@Sendable () async -> Void)? = nil
    ) async {
        let downlink = Downlink(topic: topic, payload: payload, acknowledged: acknowledged)
        guard let (connection, packet) = await registry.enqueue(clientID: clientID, downlink: downlink) else { return }
        try? await connection.writer.write(packet)
    }

    /// Closes a client's live connection, if it has one (its credentials were revoked, say). The
    /// session stays, as after any lost connection.
    public func disconnect(_ clientID: String) async {
        guard let connection = await registry.connection(clientID: clientID) else { return }
        try? await connection.channel.close()
    }

    /// Whether a client currently has a live connection.
    public func isConnected(_ clientID: String) async -> Bool {
        await registry.connection(clientID: clientID) != nil
    }

    /// Downlinks of a client not yet sent, and sent but not yet acknowledged.
    public func pendingDownlinks(for clientID: String) async -> (queued: Int, inflight: Int) {
        await registry.pendingCounts(clientID: clientID)
    }

    func nextConnectionID() -> UInt64 {
        connectionIDs.add(1, ordering: .relaxed).newValue
    }

    /// `127.0.0.0/8`, `::1` (bare or bracketed) and `localhost`: where an open authenticator may listen.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}

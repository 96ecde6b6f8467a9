import EdgeSyncModels

/// What the servers sharing a store know of each other: which one holds each device's
/// connection, which are alive, and the secrets they all serve. With one SQLite server the same
/// calls keep its own sessions.
public protocol ReplicaStore: Sendable {
    /// Records that the device is connected to `replicaID` from now on (replacing a session
    /// elsewhere, which that replica then closes), marks it seen and records its connection event
    /// (`outcome`: how it connected); returns the new session's epoch. One transaction, which
    /// devices connecting at the same time may share: a fleet that reconnects after a restart
    /// would otherwise queue three syncs a device ahead of its first batches.
    func openSession(device: DeviceIdentity, replicaID: String, outcome: String) async throws -> String
    /// Forgets the session `epoch`, unless a newer one has replaced it (nil: this connection's
    /// session was replaced already), and records the device's disconnection event. One
    /// transaction, which devices disconnecting at the same time may share.
    func closeSession(device: DeviceIdentity, epoch: String?) async throws
    /// Devices whose newest session, opened in the last `window`, is on another replica.
    func sessionsTakenOver(from replicaID: String, window: Duration) async throws -> [String]
    /// Records that the replica is alive; at its start, forgets the sessions it held before.
    func heartbeat(replicaID: String, starting: Bool) async throws
    /// Unacknowledged controls never sent (or due again) of devices connected to `replicaID`,
    /// oldest first: a control decided on any replica reaches the one that holds its device.
    func dueControls(replicaID: String, limit: Int) async throws -> [OutboundControl]
    /// Unacknowledged controls last sent before `sentBefore` become due again (a resend);
    /// returns how many.
    @discardableResult
    func markControlsDue(sentBefore: Timestamp) async throws -> Int
    /// Forgets replicas silent for `silentFor` and the sessions they held, and sessions ended
    /// long enough ago for their replica to have closed them; returns the silent replicas' ids.
    func forgetSilentReplicas(silentFor: Duration) async throws -> [String]
    /// The shared secret `name`, created with `make` if the store has none yet (by whichever
    /// server asks first; every other one reads it).
    func secret(_ name: String, orCreate make: @escaping @Sendable () throws -> String) async throws -> String
    /// Replaces a secret that still has the value `old`; returns the value it has afterwards.
    func replaceSecret(_ name: String, old: String, new: String) async throws -> String
}

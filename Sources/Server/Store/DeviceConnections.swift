/// Cuts devices' live connections when what allowed them is gone (credentials revoked, the
/// device deleted). The MQTT ingress implements it; the HTTP routes use it.
public protocol DeviceConnections: Sendable {
    func disconnect(deviceName: String) async
}

import NIOCore

/// What the listener knows about a connecting client when it asks for a decision.
public struct MQTTConnectRequest: Sendable {
    public var clientID: String
    public var username: String?
    public var password: ByteBuffer?
    /// The subject CN of the verified client certificate (TLS listeners with client certificates).
    public var certificateCommonName: String?
    /// That certificate's serial number (big-endian bytes), so that only the certificate a client
    /// was last issued is accepted.
    public var certificateSerial: [UInt8]?
    public var remoteAddress: String?
    /// The peer's IP address without the port, for counting failures per source.
    public var remoteHost: String?
    public var usesTLS: Bool

    public init(
        clientID: String,
        username: String? = nil,
        password: ByteBuffer? = nil,
        certificateCommonName: String? = nil,
        certificateSerial: [UInt8]? = nil,
        remoteAddress: String? = nil,
        remoteHost: String? = nil,
        usesTLS: Bool = false
    ) {
        self.clientID = clientID
        self.username = username
        self.password = password
        self.certificateCommonName = certificateCommonName
        self.certificateSerial = certificateSerial
        self.remoteAddress = remoteAddress
        self.remoteHost = remoteHost
        self.usesTLS = usesTLS
    }
}

/// An authenticated client: its id and the root under which its ACL applies.
public struct MQTTPrincipal: Sendable, Hashable {
    public var clientID: String
    /// `{topic_slug}/{device_name}`: the device may only use topics under it.
    public var rootTopic: String
    /// Opaque identity for the application (the server's device id).
    public var identity: String

    public init(clientID: String, rootTopic: String, identity: String) {
        self.clientID = clientID
        self.rootTopic = rootTopic
        self.identity = identity
    }
}

public enum MQTTAuthenticationResult: Sendable {
    case accepted(MQTTPrincipal)
    /// Refused with a CONNACK code: `identifierRejected` (2), `badUsernameOrPassword` (4),
    /// `notAuthorized` (5) or `serverUnavailable` (3).
    case rejected(MQTTPacket.ConnectReturnCode)
}

/// Decides who may connect. Implementations: `CertificateAuthenticator` (mTLS),
/// `PasswordAuthenticator`, `DevOpenAuthenticator`; the server composes them with its device store.
public protocol MQTTAuthenticator: Sendable {
    /// True when the authenticator accepts anyone: the listener then refuses to bind a
    /// non-loopback address.
    var requiresLoopback: Bool { get }

    func authenticate(_ request: MQTTConnectRequest) async -> MQTTAuthenticationResult
}

extension MQTTAuthenticator {
    public var requiresLoopback: Bool { false }
}

/// mTLS: the verified certificate's CN must equal the client id, and the caller's closure
/// decides on its serial (the server accepts only the certificate it issued last).
public struct CertificateAuthenticator: MQTTAuthenticator {
    let principal: @Sendable (_ clientID: String, _ serial: [UInt8]) async -> MQTTPrincipal?

    /// - Parameter principal: the principal of a known client id presenting a certificate with
    ///   this serial, or nil when it may not connect with it.
    public init(principal: @escaping @Sendable (_ clientID: String, _ serial: [UInt8]) async -> MQTTPrincipal?) {
        self.principal = principal
    }

    public func authenticate(_ request: MQTTConnectRequest) async -> MQTTAuthenticationResult {
        guard let commonName = request.certificateCommonName, let serial = request.certificateSerial else {
            return .rejected(.notAuthorized)
        }
        guard commonName == request.clientID else { return .rejected(.notAuthorized) }
        guard let principal = await principal(request.clientID, serial) else { return .rejected(.notAuthorized) }
        return .accepted(principal)
    }
}

/// Username/password: the username must equal the client id; the secret is checked by the
/// caller's closure (which compares against a stored hash).
public struct PasswordAuthenticator: MQTTAuthenticator {
    let verify: @Sendable (_ clientID: String, _ password: [UInt8], _ remoteHost: String?) async -> MQTTPrincipal?

    public init(
        verify:
            @escaping @Sendable (_ clientID: String, _ password: [UInt8], _ remoteHost: String?) async ->
            MQTTPrincipal?
    ) {
        self.verify = verify
    }

    public func authenticate(_ request: MQTTConnectRequest) async -> MQTTAuthenticationResult {
        guard let username = request.username, let password = request.password else { return .rejected(.notAuthorized) }
        guard username == request.clientID else { return .rejected(.badUsernameOrPassword) }
        guard let principal = await verify(request.clientID, Array(password.readableBytesView), request.remoteHost)
        else {
            return .rejected(.badUsernameOrPassword)
        }
        return .accepted(principal)
    }
}

/// Development only: any acceptable client id connects (the application may register it on the
/// fly). The listener binds it to loopback addresses only.
public struct DevOpenAuthenticator: MQTTAuthenticator {
    let principal: @Sendable (String) async -> MQTTPrincipal?

    public init(principal: @escaping @Sendable (String) async -> MQTTPrincipal?) {
        self.principal = principal
    }

    public var requiresLoopback: Bool { true }

    public func authenticate(_ request: MQTTConnectRequest) async -> MQTTAuthenticationResult {
        guard let principal = await principal(request.clientID) else { return .rejected(.identifierRejected) }
        return .accepted(principal)
    }
}

/// Tries authenticators in order: the first acceptance wins; otherwise the last refusal counts.
/// Lets one listener take certificate and password devices alike.
public struct FirstAcceptingAuthenticator: MQTTAuthenticator {
    let authenticators: [any MQTTAuthenticator]

    public init(_ authenticators: [any MQTTAuthenticator]) {
        self.authenticators = authenticators
    }

    public var requiresLoopback: Bool { authenticators.contains { $0.requiresLoopback } }

    public func authenticate(_ request: MQTTConnectRequest) async -> MQTTAuthenticationResult {
        var last = MQTTAuthenticationResult.rejected(.notAuthorized)
        for authenticator in authenticators {
            let result = await authenticator.authenticate(request)
            if case .accepted = result { return result }
            last = result
        }
        return last
    }
}

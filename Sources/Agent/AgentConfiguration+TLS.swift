import NIOSSL

extension AgentConfiguration {
    /// The TLS settings for MQTT over TLS and HTTPS uploads, from the configured files. Every
    /// failure names the key and the file: a certificate without its key, a missing file, a file
    /// that is not PEM.
    func tlsConfiguration() throws -> TLSConfiguration {
        var settings = TLSConfiguration.makeClientConfiguration()
        if let path = caCertificatePath {
            let certificates = try Self.load("connection.mqtt.tls.ca_cert_path", path) {
                try NIOSSLCertificate.fromPEMFile(path)
            }
            settings.trustRoots = .certificates(certificates)
        }
        switch (clientCertificatePath, clientKeyPath) {
        case (nil, nil):
            break
        case (.some(let certificate), nil):
            throw AgentConfigurationError(
                key: "connection.mqtt.tls.client_key_path",
                message: "the client certificate \(certificate) needs its key"
            )
        case (nil, .some(let key)):
            throw AgentConfigurationError(
                key: "connection.mqtt.tls.client_cert_path",
                message: "the client key \(key) needs its certificate"
            )
        case (.some(let certificate), .some(let key)):
            settings.certificateChain = try Self.load("connection.mqtt.tls.client_cert_path", certificate) {
                try NIOSSLCertificate.fromPEMFile(certificate)
            }.map { .certificate($0) }
            settings.privateKey = .privateKey(
                try Self.load("connection.mqtt.tls.client_key_path", key) {
                    try NIOSSLPrivateKey(file: key, format: .pem)
                }
            )
        }
        return settings
    }

    private static func load<T>(_ key: String, _ path: String, _ read: () throws -> T) throws -> T {
        guard FileIdentity(path: path) != nil else {
            throw AgentConfigurationError(key: key, message: "\(path) does not exist")
        }
        do {
            return try read()
        } catch {
            throw AgentConfigurationError(key: key, message: "\(path) is not a usable PEM file (\(error))")
        }
    }
}

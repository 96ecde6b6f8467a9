import Crypto
import Foundation
import X509

/// The device CA: signs the client certificates devices use for mTLS. Created in the store on
/// first start (every server of a store uses the same one) unless the server is given an
/// existing one (`--device-ca-cert`, `--device-ca-key`).
public struct DeviceAuthority: Sendable {
    public let certificate: Certificate
    let key: P256.Signing.PrivateKey

    public static let certificateFile = "device-ca.pem"
    public static let keyFile = "device-ca.key"

    /// Loads the CA from PEM files.
    public init(certificatePath: String, keyPath: String) throws {
        try self.init(
            certificatePEM: String(contentsOfFile: certificatePath, encoding: .utf8),
            keyPEM: String(contentsOfFile: keyPath, encoding: .utf8)
        )
    }

    /// The store's CA, shared by every server of the store: the one in `directory` from before
    /// the store kept it, else a new one, the first time. Its certificate is written to
    /// `directory` (the TLS listener trusts that file); its key stays in the store.
    public static func ensure(
        in directory: URL,
        store: any ReplicaStore
    ) async throws -> (authority: DeviceAuthority, certificatePath: String) {
        let certificatePath = directory.appendingPathComponent(certificateFile).path
        let legacy = try? Stored(
            certificate: String(contentsOfFile: certificatePath, encoding: .utf8),
            key: String(contentsOf: directory.appendingPathComponent(keyFile), encoding: .utf8)
        )
        let stored = try await store.secret(secretName) {
            String(decoding: try JSONEncoder().encode(try legacy ?? generate()), as: UTF8.self)
        }
        let pair = try JSONDecoder().decode(Stored.self, from: Data(stored.utf8))
        if legacy?.certificate != pair.certificate {
            guard FileManager.default.createFile(atPath: certificatePath, contents: Data(pair.certificate.utf8)) else {
                throw CocoaError(.fileWriteUnknown)
            }
        }
        return (try DeviceAuthority(certificatePEM: pair.certificate, keyPEM: pair.key), certificatePath)
    }

    static let secretName = "device_ca"

    /// The CA as the store keeps it.
    struct Stored: Codable {
        var certificate: String
        var key: String
    }

    init(certificatePEM: String, keyPEM: String) throws {
        certificate = try Certificate(pemEncoded: certificatePEM)
        key = try P256.Signing.PrivateKey(pemRepresentation: keyPEM)
    }

    /// A new CA: a P-256 key and a self-signed certificate for 20 years.
    static func generate() throws -> Stored {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            OrganizationName("Edge Sync")
            CommonName("Edge Sync Device CA")
        }
        let now = Date()
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(20 * 365 * 86_400),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: Certificate.PublicKey(key.publicKey))
            },
            issuerPrivateKey: .init(key)
        )
        return Stored(certificate: try certificate.serializeAsPEM().pemString, key: key.pemRepresentation)
    }

    public struct Issued: Sendable {
        public var certificatePEM: String
        public var privateKeyPEM: String
        public var caCertificatePEM: String
        public var serialNumber: String
    }

    /// A client certificate whose subject CN is the device name (the MQTT client id), valid
    /// for `days`, with a fresh P-256 key.
    public func issueClientCertificate(deviceName: String, days: Int = 825) throws -> Issued {
        let key = P256.Signing.PrivateKey()
        let now = Date()
        let serial = Certificate.SerialNumber()
        let certificate = try Certificate(
            version: .v3,
            serialNumber: serial,
            publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(Double(days) * 86_400),
            issuer: self.certificate.subject,
            subject: try DistinguishedName { CommonName(deviceName) },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.clientAuth])
            },
            issuerPrivateKey: .init(self.key)
        )
        return Issued(
            certificatePEM: try certificate.serializeAsPEM().pemString,
            privateKeyPEM: key.pemRepresentation,
            caCertificatePEM: try self.certificate.serializeAsPEM().pemString,
            serialNumber: serial.description
        )
    }
}

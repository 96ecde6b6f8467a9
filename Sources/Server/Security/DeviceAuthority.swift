import Crypto
import Foundation
import X509

/// The device CA: signs the client certificates devices use for mTLS. Created in the data
/// directory on first start (`device-ca.pem`, `device-ca.key` with mode 0600) unless the server
/// is given an existing one.
public struct DeviceAuthority: Sendable {
    public let certificate: Certificate
    let key: P256.Signing.PrivateKey

    public static let certificateFile = "device-ca.pem"
    public static let keyFile = "device-ca.key"

    /// Loads the CA from PEM files.
    public init(certificatePath: String, keyPath: String) throws {
        certificate = try Certificate(pemEncoded: String(contentsOfFile: certificatePath, encoding: .utf8))
        key = try P256.Signing.PrivateKey(pemRepresentation: String(contentsOfFile: keyPath, encoding: .utf8))
    }

    /// Loads the CA of `directory`, creating it there first if it does not exist.
    public static func ensure(in directory: URL) throws -> (authority: DeviceAuthority, certificatePath: String) {
        let certificatePath = directory.appendingPathComponent(certificateFile).path
        let keyPath = directory.appendingPathComponent(keyFile).path
        if !FileManager.default.fileExists(atPath: certificatePath) || !FileManager.default.fileExists(atPath: keyPath)
        {
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
            guard
                FileManager.default.createFile(
                    atPath: keyPath,
                    contents: Data(key.pemRepresentation.utf8),
                    attributes: [.posixPermissions: 0o600]
                ),
                FileManager.default.createFile(
                    atPath: certificatePath,
                    contents: Data(try certificate.serializeAsPEM().pemString.utf8)
                )
            else { throw CocoaError(.fileWriteUnknown) }
        }
        return (try DeviceAuthority(certificatePath: certificatePath, keyPath: keyPath), certificatePath)
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

import Foundation

/// A certificate set made with the real `openssl` for TLS tests: a device CA, a server
/// certificate for 127.0.0.1/localhost, a device certificate (CN = `dev-1`), one with another CN,
/// and one signed by an unrelated CA.
public struct TestCertificates: Sendable {
    public let directory: URL

    public var caCertificate: String { path("ca.pem") }
    public var serverCertificate: String { path("server.pem") }
    public var serverKey: String { path("server.key") }
    public var deviceCertificate: String { path("dev-1.pem") }
    public var deviceKey: String { path("dev-1.key") }
    public var otherCNCertificate: String { path("dev-2.pem") }
    public var otherCNKey: String { path("dev-2.key") }
    public var foreignCertificate: String { path("foreign.pem") }
    public var foreignKey: String { path("foreign.key") }

    public func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    public static func make() async throws -> TestCertificates {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "edgesync-certs-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificates = TestCertificates(directory: directory)
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
            .write(toFile: certificates.path("server.ext"), atomically: true, encoding: .utf8)
        try "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n"
            .write(toFile: certificates.path("client.ext"), atomically: true, encoding: .utf8)
        try await certificates.authority("ca", subject: "/CN=Edge Sync Test Device CA")
        try await certificates.authority("foreign-ca", subject: "/CN=Unrelated CA")
        try await certificates.leaf("server", subject: "/CN=localhost", ca: "ca", extensions: "server.ext")
        try await certificates.leaf("dev-1", subject: "/CN=dev-1", ca: "ca", extensions: "client.ext")
        try await certificates.leaf("dev-2", subject: "/CN=dev-2", ca: "ca", extensions: "client.ext")
        try await certificates.leaf("foreign", subject: "/CN=dev-1", ca: "foreign-ca", extensions: "client.ext")
        // Throwaway keys: readable by a broker that dropped root privileges (mosquitto does).
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: certificates.path(file))
        }
        return certificates
    }

    private func authority(_ name: String, subject: String) async throws {
        try await openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", path(name + ".key"), "-out", path(name + ".pem"), "-days", "2", "-subj", subject,
        ])
    }

    private func leaf(_ name: String, subject: String, ca: String, extensions: String) async throws {
        try await openssl([
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", path(name + ".key"), "-out", path(name + ".csr"), "-subj", subject,
        ])
        try await openssl([
            "x509", "-req", "-in", path(name + ".csr"), "-CA", path(ca + ".pem"), "-CAkey", path(ca + ".key"),
            "-CAcreateserial", "-out", path(name + ".pem"), "-days", "2", "-extfile", path(extensions),
        ])
    }

    private func openssl(_ arguments: [String]) async throws {
        let output = try await ProcessRunner.run("openssl", arguments)
        guard output.status == 0 else {
            throw NSError(
                domain: "openssl",
                code: Int(output.status),
                userInfo: [NSLocalizedDescriptionKey: output.stderr]
            )
        }
    }
}

import Crypto
import EdgeSyncModels
import Foundation

/// Random secrets and their stored forms. API tokens are 32 random bytes, stored as SHA-256
/// (they are high-entropy, so a plain hash is enough); device passwords are stored salted and
/// stretched with PBKDF2-HMAC-SHA256.
public enum Secrets {
    public static func randomToken(bytes: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        let raw = (0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return "es_" + Hex.encode(raw)
    }

    public static func tokenHash(_ token: String) -> String {
        SHA256Hex.digest(token)
    }

    static let iterations = 10_000

    /// `pbkdf2-sha256$iterations$salt$hash`.
    public static func passwordHash(_ password: String, salt: [UInt8]? = nil) -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = salt ?? (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let derived = pbkdf2(password: Array(password.utf8), salt: salt, iterations: iterations)
        return "pbkdf2-sha256$\(iterations)$\(Hex.encode(salt))$\(Hex.encode(derived))"
    }

    public static func verifyPassword(_ password: [UInt8], against stored: String) -> Bool {
        let parts = stored.split(separator: "$")
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let iterations = Int(parts[1]), iterations > 0,
            let salt = Hex.decode(String(parts[2])), let expected = Hex.decode(String(parts[3]))
        else { return false }
        let derived = pbkdf2(password: password, salt: salt, iterations: iterations)
        // Constant-time comparison.
        guard derived.count == expected.count else { return false }
        return zip(derived, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// PBKDF2 with HMAC-SHA256, one 32-byte block (RFC 8018).
    static func pbkdf2(password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        let key = SymmetricKey(data: password)
        var block = Array(HMAC<SHA256>.authenticationCode(for: salt + [0, 0, 0, 1], using: key))
        var result = block
        for _ in 1..<max(iterations, 1) {
            block = Array(HMAC<SHA256>.authenticationCode(for: block, using: key))
            for index in result.indices { result[index] ^= block[index] }
        }
        return result
    }
}

import Crypto

/// Lowercase hex SHA-256, the digest form every hash in the protocol uses.
public enum SHA256Hex {
    public static func digest(_ bytes: some Sequence<UInt8>) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(bytes))
        return Hex.encode(hasher.finalize())
    }

    public static func digest(_ string: String) -> String {
        digest(Array(string.utf8))
    }
}

/// The row identity used by per-row dedup and the mirror: `source_pk_hash` is the SHA-256 hex of
/// the canonical JSON of the row's `pk` object (docs/spec/wire-protocol.md, "Row batch").
public enum PrimaryKeyHash {
    public static func canonicalJSON(of pk: JSONObject) -> String {
        CanonicalJSON.string(of: .object(pk))
    }

    public static func hash(of pk: JSONObject) -> String {
        SHA256Hex.digest(CanonicalJSON.bytes(of: .object(pk)))
    }
}

/// The storage class of a column of rows bound as a set (`SQLTransaction.insertRows`): where a
/// database binds a column as one array, its elements have this type.
public enum SQLStorageClass: Sendable, Hashable {
    case text
    case integer
    case real
    case blob
}

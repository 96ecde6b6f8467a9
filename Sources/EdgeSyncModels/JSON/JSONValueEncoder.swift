/// Encodes an `Encodable` value into a `JSONValue`, keeping members in their encoding order and
/// `Double`s as doubles, so that `CanonicalJSON.write(_:style: .typed,to:)` can print a REAL
/// `40.0` as `40.0` (Foundation's `JSONEncoder` prints it as `40`, losing the column's type).
/// `nil` optionals are left out, like `JSONEncoder` does with `encodeIfPresent`.
public struct JSONValueEncoder: Sendable {
    public init() {}

    public func encode(_ value: some Encodable) throws -> JSONValue {
        try JSONValueEncoding.box(value, codingPath: [])
    }

    /// The typed JSON text of `value`.
    public func bytes(of value: some Encodable) throws -> [UInt8] {
        var out: [UInt8] = []
        CanonicalJSON.write(try encode(value), style: .typed, to: &out)
        return out
    }
}

/// A value under construction: containers write into it, `json` reads the result.
private final class JSONNode {
    enum Content {
        case empty
        case value(JSONValue)
        case object([(key: String, node: JSONNode)])
        case array([JSONNode])
    }

    var content: Content = .empty

    var json: JSONValue {
        switch content {
        case .empty: .object(JSONObject())
        case .value(let value): value
        case .object(let members):
            .object(JSONObject(members: members.map { JSONObject.Member(key: $0.key, value: $0.node.json) }))
        case .array(let nodes): .array(nodes.map(\.json))
        }
    }

    /// The member `key`, created (or replaced by a fresh node) on first use.
    func member(_ key: String) -> JSONNode {
        let node = JSONNode()
        var members: [(key: String, node: JSONNode)] = []
        if case .object(let existing) = content { members = existing }
        content = .empty  // leaves `members` the only reference: appended in place, not copied
        if let index = members.firstIndex(where: { $0.key == key }) {
            members[index].node = node
        } else {
            members.append((key, node))
        }
        content = .object(members)
        return node
    }

    func element() -> JSONNode {
        let node = JSONNode()
        var nodes: [JSONNode] = []
        if case .array(let existing) = content { nodes = existing }
        content = .empty
        nodes.append(node)
        content = .array(nodes)
        return node
    }

    func makeObject() {
        if case .object = content { return }
        content = .object([])
    }

    func makeArray() {
        if case .array = content { return }
        content = .array([])
    }
}

private enum JSONValueEncoding {
    /// Primitive values directly; anything else through its own `encode(to:)`.
    static func box(_ value: some Encodable, codingPath: [any CodingKey]) throws -> JSONValue {
        switch value {
        case let json as JSONValue: return json
        case let object as JSONObject: return .object(object)
        case let text as String: return .string(text)
        case let flag as Bool: return .bool(flag)
        case let number as Double: return .double(number)
        case let number as Float: return .double(Double(number))
        case let number as any BinaryInteger:
            guard let integer = Int64(exactly: number) else {
                throw EncodingError.invalidValue(
                    number,
                    EncodingError.Context(codingPath: codingPath, debugDescription: "\(number) does not fit in Int64")
                )
            }
            return .integer(integer)
        default:
            let node = JSONNode()
            try value.encode(to: NodeEncoder(node: node, codingPath: codingPath))
            return node.json
        }
    }
}

private struct NodeEncoder: Encoder {
    let node: JSONNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.makeObject()
        return KeyedEncodingContainer(KeyedNodeContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        node.makeArray()
        return UnkeyedNodeContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleNodeContainer(node: node, codingPath: codingPath)
    }
}

private struct KeyedNodeContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: JSONNode
    let codingPath: [any CodingKey]

    private func set(_ value: JSONValue, _ key: Key) { node.member(key.stringValue).content = .value(value) }

    mutating func encodeNil(forKey key: Key) throws { set(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { set(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { set(.double(value), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { set(.double(Double(value)), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { try encodeBoxed(value, key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try encodeBoxed(value, key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try encodeBoxed(value, key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try encodeBoxed(value, key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try encodeBoxed(value, key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try encodeBoxed(value, key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try encodeBoxed(value, key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try encodeBoxed(value, key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try encodeBoxed(value, key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try encodeBoxed(value, key) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try encodeBoxed(value, key) }

    private func encodeBoxed(_ value: some Encodable, _ key: Key) throws {
        set(try JSONValueEncoding.box(value, codingPath: codingPath + [key]), key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type,
        forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let child = node.member(key.stringValue)
        child.makeObject()
        return KeyedEncodingContainer(KeyedNodeContainer<NestedKey>(node: child, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = node.member(key.stringValue)
        child.makeArray()
        return UnkeyedNodeContainer(node: child, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder {
        NodeEncoder(node: node.member("super"), codingPath: codingPath)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        NodeEncoder(node: node.member(key.stringValue), codingPath: codingPath + [key])
    }
}

private struct UnkeyedNodeContainer: UnkeyedEncodingContainer {
    let node: JSONNode
    let codingPath: [any CodingKey]
    var count: Int {
        if case .array(let nodes) = node.content { return nodes.count }
        return 0
    }

    private func append(_ value: JSONValue) { node.element().content = .value(value) }

    mutating func encodeNil() throws { append(.null) }
    mutating func encode(_ value: Bool) throws { append(.bool(value)) }
    mutating func encode(_ value: String) throws { append(.string(value)) }
    mutating func encode(_ value: Double) throws { append(.double(value)) }
    mutating func encode(_ value: Float) throws { append(.double(Double(value))) }
    mutating func encode(_ value: Int) throws { try encodeBoxed(value) }
    mutating func encode(_ value: Int8) throws { try encodeBoxed(value) }
    mutating func encode(_ value: Int16) throws { try encodeBoxed(value) }
    mutating func encode(_ value: Int32) throws { try encodeBoxed(value) }
    mutating func encode(_ value: Int64) throws { try encodeBoxed(value) }
    mutating func encode(_ value: UInt) throws { try encodeBoxed(value) }
    mutating func encode(_ value: UInt8) throws { try encodeBoxed(value) }
    mutating func encode(_ value: UInt16) throws { try encodeBoxed(value) }
    mutating func encode(_ value: UInt32) throws { try encodeBoxed(value) }
    mutating func encode(_ value: UInt64) throws { try encodeBoxed(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try encodeBoxed(value) }

    private func encodeBoxed(_ value: some Encodable) throws {
        append(try JSONValueEncoding.box(value, codingPath: codingPath))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type
    ) -> KeyedEncodingContainer<NestedKey> {
        let child = node.element()
        child.makeObject()
        return KeyedEncodingContainer(KeyedNodeContainer<NestedKey>(node: child, codingPath: codingPath))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = node.element()
        child.makeArray()
        return UnkeyedNodeContainer(node: child, codingPath: codingPath)
    }

    mutating func superEncoder() -> any Encoder {
        NodeEncoder(node: node.element(), codingPath: codingPath)
    }
}

private struct SingleNodeContainer: SingleValueEncodingContainer {
    let node: JSONNode
    let codingPath: [any CodingKey]

    private func set(_ value: JSONValue) { node.content = .value(value) }

    mutating func encodeNil() throws { set(.null) }
    mutating func encode(_ value: Bool) throws { set(.bool(value)) }
    mutating func encode(_ value: String) throws { set(.string(value)) }
    mutating func encode(_ value: Double) throws { set(.double(value)) }
    mutating func encode(_ value: Float) throws { set(.double(Double(value))) }
    mutating func encode(_ value: Int) throws { try encodeBoxed(value) }
    mutating func encode(_ value: Int8) throws { try encodeBoxed(value) }
    mutating func encode(_ value: Int16) throws { try encodeBoxed(value) }
    mutating func encode(_ value: Int32) throws { try encodeBoxed(value) }
    mutating func encode(_ value: Int64) throws { try encodeBoxed(value) }
    mutating func encode(_ value: UInt) throws { try encodeBoxed(value) }
    mutating func encode(_ value: UInt8) throws { try encodeBoxed(value) }
    mutating func encode(_ value: UInt16) throws { try encodeBoxed(value) }
    mutating func encode(_ value: UInt32) throws { try encodeBoxed(value) }
    mutating func encode(_ value: UInt64) throws { try encodeBoxed(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { try encodeBoxed(value) }

    private func encodeBoxed(_ value: some Encodable) throws {
        set(try JSONValueEncoding.box(value, codingPath: codingPath))
    }
}

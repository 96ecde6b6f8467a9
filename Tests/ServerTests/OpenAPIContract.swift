import EdgeSyncModels
import Yams

/// The served OpenAPI document, loaded with Yams, able to find the operation for a concrete
/// request and to check a JSON body against a response schema (the subset of JSON Schema the
/// document uses: `$ref`, `type`, `enum`, `required`, `properties`, `items`, `minimum`).
/// Objects with declared properties are closed: an undocumented field is a mismatch.
struct OpenAPIContract {
    let document: [String: Any]

    init(yaml: String) throws {
        guard let document = try Yams.load(yaml: yaml) as? [String: Any] else {
            throw ContractError("the document is not a mapping")
        }
        self.document = document
    }

    struct ContractError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    var paths: [String: [String: Any]] { document["paths"] as? [String: [String: Any]] ?? [:] }

    /// Every `METHOD /path/{param}` the document describes.
    var operations: Set<String> {
        Set(paths.flatMap { path, item in item.keys.map { "\($0.uppercased()) \(path)" } })
    }

    /// The path template matching a concrete path (`{x}` matches one segment).
    func template(for path: String) -> String? {
        let segments = path.split(separator: "?")[0].split(separator: "/")
        return paths.keys.sorted().first { template in
            let parts = template.split(separator: "/")
            return parts.count == segments.count && zip(parts, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        }
    }

    /// The problems of `body` as the response `status` of `method path`; empty when it conforms.
    func check(method: String, path: String, status: Int, body: [UInt8], contentType: String?) throws -> [String] {
        guard let template = template(for: path) else { return ["\(path): no path in the document"] }
        guard let operation = paths[template]?[method.lowercased()] as? [String: Any] else {
            return ["\(method) \(template): not documented"]
        }
        guard let responses = operation["responses"] as? [String: Any],
            var response = (responses[String(status)] ?? (status >= 400 ? responses["default"] : nil)) as? [String: Any]
        else {
            return ["\(method) \(template): status \(status) not documented"]
        }
        if let ref = response["$ref"] as? String { response = try resolve(ref) }
        guard let content = response["content"] as? [String: Any] else {
            return body.isEmpty ? [] : ["\(method) \(template) \(status): a body where none is documented"]
        }
        let media = (contentType ?? "").split(separator: ";")[0].trimmingCharacters(in: .whitespaces)
        guard let entry = content[media] as? [String: Any] else {
            return ["\(method) \(template) \(status): content type \(media) not documented"]
        }
        guard media == "application/json", let schema = entry["schema"] as? [String: Any] else { return [] }
        let value = try JSONParser().parse(body)
        return try problems(value, schema, at: "\(method) \(template) \(status) $")
    }

    func resolve(_ ref: String) throws -> [String: Any] {
        var node: Any = document
        for part in ref.dropFirst(2).split(separator: "/") {
            guard let next = (node as? [String: Any])?[String(part)] else { throw ContractError("unresolved \(ref)") }
            node = next
        }
        guard let schema = node as? [String: Any] else { throw ContractError("\(ref) is not a mapping") }
        return schema
    }

    func problems(_ value: JSONValue, _ schema: [String: Any], at location: String) throws -> [String] {
        if let ref = schema["$ref"] as? String { return try problems(value, resolve(ref), at: location) }
        if let allowed = schema["enum"] as? [Any] {
            guard allowed.contains(where: { "\($0)" == value.plainText }) else {
                return ["\(location): \(value.plainText) not in \(allowed)"]
            }
        }
        switch schema["type"] as? String {
        case "string":
            guard case .string = value else { return ["\(location): expected a string, got \(value.plainText)"] }
        case "boolean":
            guard case .bool = value else { return ["\(location): expected a boolean"] }
        case "integer":
            guard case .integer(let number) = value else {
                return ["\(location): expected an integer, got \(value.plainText)"]
            }
            if let minimum = schema["minimum"] as? Int, number < minimum {
                return ["\(location): \(number) below \(minimum)"]
            }
        case "number":
            switch value {
            case .integer, .double: break
            default: return ["\(location): expected a number"]
            }
        case "array":
            guard case .array(let items) = value else { return ["\(location): expected an array"] }
            guard let itemSchema = schema["items"] as? [String: Any] else { return [] }
            return try items.enumerated().flatMap { index, item in
                try problems(item, itemSchema, at: "\(location)[\(index)]")
            }
        case "object":
            guard case .object(let object) = value else { return ["\(location): expected an object"] }
            var found: [String] = ((schema["required"] as? [String]) ?? []).filter { object[$0] == nil }.map {
                "\(location): missing \($0)"
            }
            guard let properties = schema["properties"] as? [String: Any] else { return found }
            for (key, member) in object.members.map({ ($0.key, $0.value) }) {
                guard let memberSchema = properties[key] as? [String: Any] else {
                    found.append("\(location): undocumented field \(key)")
                    continue
                }
                found += try problems(member, memberSchema, at: "\(location).\(key)")
            }
            return found
        default:
            break
        }
        return []
    }
}

extension JSONValue {
    /// The value as YAML would print a scalar, for enum comparison and messages.
    fileprivate var plainText: String {
        switch self {
        case .string(let text): text
        case .integer(let number): String(number)
        case .bool(let flag): String(flag)
        default: CanonicalJSON.string(of: self)
        }
    }
}

import EdgeSyncModels
import Foundation

/// Checks a JSON document against the subset of JSON Schema (2020-12) the contract's schemas use:
/// `type`, `required`, `properties`, `const`, `enum`, `minLength`, `minimum`, `pattern`, `items`,
/// `minItems`, `oneOf` and local `$ref`s (`#/$defs/…`). Returns the problems; empty when valid.
public struct JSONSchemaCheck: Sendable {
    let root: JSONValue

    /// The schema file `name` of `docs/spec/vectors/`.
    public init(vector name: String) throws {
        let url = SpecVectors.directory.appendingPathComponent(name)
        guard let data = try? Data(contentsOf: url), let schema = try? JSONParser().parse(Array(data)),
            schema.objectValue != nil
        else { throw SpecVectors.Failure(description: "\(url.path): not a readable JSON Schema") }
        root = schema
    }

    public func problems(_ document: [UInt8]) -> [String] {
        guard let value = try? JSONParser().parse(document) else { return ["not JSON"] }
        return check(value, against: root, at: "$")
    }

    private func check(_ value: JSONValue, against schema: JSONValue, at path: String) -> [String] {
        guard let rules = schema.objectValue else { return [] }
        if let reference = rules["$ref"]?.stringValue {
            guard let resolved = resolve(reference) else { return ["\(path): unresolvable \(reference)"] }
            return check(value, against: resolved, at: path)
        }
        if let type = rules["type"]?.stringValue, !Self.matches(value, type: type) { return ["\(path): not \(type)"] }
        var problems: [String] = []
        if let constant = rules["const"], constant != value { problems.append("\(path): not the constant") }
        if let options = rules["enum"]?.arrayValue, !options.contains(value) {
            problems.append("\(path): not one of the enum")
        }
        if let text = value.stringValue {
            if let minimum = rules["minLength"]?.integerValue, text.count < Int(minimum) {
                problems.append("\(path): too short")
            }
            if let pattern = rules["pattern"]?.stringValue, text.range(of: pattern, options: .regularExpression) == nil
            {
                problems.append("\(path): \(text) does not match \(pattern)")
            }
        }
        if let minimum = rules["minimum"].flatMap(Self.number), let number = Self.number(value), number < minimum {
            problems.append("\(path): below \(minimum)")
        }
        if let object = value.objectValue {
            for name in rules["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[name] == nil {
                problems.append("\(path): missing \(name)")
            }
            for member in rules["properties"]?.objectValue?.members ?? [] {
                if let present = object[member.key] {
                    problems += check(present, against: member.value, at: "\(path).\(member.key)")
                }
            }
        }
        if let array = value.arrayValue {
            if let minimum = rules["minItems"]?.integerValue, array.count < Int(minimum) {
                problems.append("\(path): too few")
            }
            if let items = rules["items"] {
                for (index, element) in array.enumerated() {
                    problems += check(element, against: items, at: "\(path)[\(index)]")
                }
            }
        }
        if let choices = rules["oneOf"]?.arrayValue {
            let passing = choices.filter { check(value, against: $0, at: path).isEmpty }.count
            if passing != 1 { problems.append("\(path): matches \(passing) of oneOf, not exactly 1") }
        }
        return problems
    }

    private func resolve(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#/") else { return nil }
        var node: JSONValue? = root
        for part in reference.dropFirst(2).split(separator: "/") { node = node?.objectValue?[String(part)] }
        return node
    }

    private static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .integer(let number): Double(number)
        case .double(let number): number
        default: nil
        }
    }

    private static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null),
            ("integer", .integer), ("number", .integer), ("number", .double):
            true
        case ("integer", .double(let number)): number == number.rounded()
        default: false
        }
    }
}

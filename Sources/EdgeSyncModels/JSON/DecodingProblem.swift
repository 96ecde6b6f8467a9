/// A `DecodingError` as a person reads it: where in the document (`column_actions[2].action`) and
/// what is wrong there, instead of Swift's dump of coding keys.
public struct DecodingProblem: Sendable, Hashable, CustomStringConvertible {
    /// The JSON path of the offending value; empty for the whole document.
    public var path: String
    public var problem: String

    public init(_ error: DecodingError) {
        switch error {
        case .typeMismatch(let type, let context):
            path = Self.path(context.codingPath)
            problem = "expected \(Self.describe(type))"
        case .valueNotFound(let type, let context):
            path = Self.path(context.codingPath)
            problem = "null where \(Self.describe(type)) is required"
        case .keyNotFound(let key, let context):
            path = Self.path(context.codingPath + [key])
            problem = "missing"
        case .dataCorrupted(let context):
            path = Self.path(context.codingPath)
            problem = context.codingPath.isEmpty ? "not valid JSON" : Self.sentence(context.debugDescription)
        @unknown default:
            path = ""
            problem = "\(error)"
        }
    }

    public var description: String {
        path.isEmpty ? problem : "\(path): \(problem)"
    }

    static func path(_ keys: [any CodingKey]) -> String {
        keys.enumerated().map { offset, key in
            if let index = key.intValue { return "[\(index)]" }
            return offset == 0 ? key.stringValue : ".\(key.stringValue)"
        }.joined()
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type, is UInt64.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        default: "\(type)".hasPrefix("Array<") ? "an array" : "an object"
        }
    }

    /// Foundation's "Cannot initialize X from invalid String value y" names a Swift type; the
    /// value is what the author of the document can fix.
    static func sentence(_ debugDescription: String) -> String {
        guard debugDescription.hasPrefix("Cannot initialize"),
            let invalid = debugDescription.firstRange(of: " from invalid "),
            let value = debugDescription[invalid.upperBound...].firstRange(of: " value ")
        else { return debugDescription.hasSuffix(".") ? String(debugDescription.dropLast()) : debugDescription }
        return "not an accepted value: \(debugDescription[value.upperBound...])"
    }
}

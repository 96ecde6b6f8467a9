import EdgeSyncModels

/// Stored values as the wire carries them, written straight into a batch's bytes: integers as
/// they are, REALs in the shortest form that reads back to the same double (always with a
/// fraction or an exponent, so a REAL never looks like an INTEGER), text escaped as canonical
/// JSON, BLOBs as `{"$hex": "<uppercase>"}`. JSON has no infinity: those REALs become the strings
/// `"Infinity"` / `"-Infinity"` (SQLite stores NaN as NULL).
enum WireJSON {
    static func write(_ value: SQLiteValue, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .integer(let number): CanonicalJSON.writeInteger(number, to: &out)
        case .real(let number):
            if number.isFinite {
                out.append(contentsOf: number.description.utf8)
            } else {
                out.append(contentsOf: (number > 0 ? #""Infinity""# : #""-Infinity""#).utf8)
            }
        case .text(let text): writeString(text, to: &out)
        case .blob(let bytes):
            out.append(contentsOf: #"{"$hex":""#.utf8)
            out.append(contentsOf: Hex.encode(bytes, uppercase: true).utf8)
            out.append(contentsOf: #""}"#.utf8)
        }
    }

    static func writeString(_ text: String, to out: inout [UInt8]) {
        CanonicalJSON.writeString(text, to: &out)
    }

    /// `{"name": value, …}` with the names in the order given (callers pass them sorted bytewise,
    /// as canonical JSON orders keys).
    static func writeObject(names: [[UInt8]], values: ArraySlice<SQLiteValue>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (offset, (name, value)) in zip(names, values).enumerated() {
            if offset > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: name)
            out.append(UInt8(ascii: ":"))
            write(value, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// A member name already quoted, to be written many times.
    static func quotedName(_ name: String) -> [UInt8] {
        var out: [UInt8] = []
        writeString(name, to: &out)
        return out
    }

    /// A stored value as a JSON value (for `pk` objects the agent keeps and compares).
    static func jsonValue(_ value: SQLiteValue) -> JSONValue {
        switch value {
        case .null: .null
        case .integer(let number): .integer(number)
        case .real(let number): number.isFinite ? .double(number) : .string(number > 0 ? "Infinity" : "-Infinity")
        case .text(let text): .string(text)
        case .blob(let bytes): .object(["$hex": .string(Hex.encode(bytes, uppercase: true))])
        }
    }

    /// The stored value a wire value stands for (a `state_write`'s values, a saved key).
    static func sqliteValue(_ value: JSONValue) -> SQLiteValue {
        switch value {
        case .null: .null
        case .bool(let flag): .integer(flag ? 1 : 0)
        case .integer(let number): .integer(number)
        case .double(let number): .real(number)
        case .string(let text): .text(text)
        case .object(let object) where object.count == 1:
            if case .string(let hex)? = object["$hex"], let bytes = Hex.decode(hex) {
                .blob(bytes)
            } else {
                .text(CanonicalJSON.string(of: value))
            }
        case .object, .array: .text(CanonicalJSON.string(of: value))
        }
    }
}

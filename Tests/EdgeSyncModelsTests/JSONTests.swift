import EdgeSyncModels
import Testing

@Suite("JSON parsing and canonical form")
struct JSONTests {
    @Test func keepsIntegersApartFromDoubles() throws {
        let value = try JSONParser().parse(
            #"{"a":1,"b":1.0,"c":-0,"d":1e2,"e":9223372036854775807,"f":9223372036854775808,"g":-12.5e-1}"#
        )
        let object = try #require(value.objectValue)
        #expect(object["a"] == .integer(1))
        #expect(object["b"] == .double(1))
        #expect(object["c"] == .integer(0))
        #expect(object["d"] == .double(100))
        #expect(object["e"] == .integer(.max))
        #expect(object["f"] == .double(9_223_372_036_854_775_808))
        #expect(object["g"] == .double(-1.25))
    }

    @Test func decodesEscapesAndUnicode() throws {
        let value = try JSONParser().parse(#"["a\"b\\c\/d\b\f\n\r\t", "\u00e9\ud83d\ude00", "é😀", ""]"#)
        #expect(value == .array([.string("a\"b\\c/d\u{8}\u{c}\n\r\t"), .string("é😀"), .string("é😀"), .string("")]))
    }

    @Test func repeatedKeysKeepTheLastValue() throws {
        let small = try JSONParser().parse(#"{"a":1,"b":2,"a":3}"#).objectValue
        #expect(small?["a"] == .integer(3))
        #expect(small?.keys == ["a", "b"])
        let members = (0..<20).map { "\"k\($0 % 10)\":\($0)" }.joined(separator: ",")
        let large = try JSONParser().parse("{" + members + "}").objectValue
        #expect(large?.count == 10)
        #expect(large?["k3"] == .integer(13))
    }

    @Test func objectEqualityIgnoresOrder() throws {
        let first = try JSONParser().parse(#"{"a":1,"b":[true,null]}"#)
        let second = try JSONParser().parse(#" { "b" : [ true , null ] , "a" : 1 } "#)
        #expect(first == second)
        #expect(first.hashValue == second.hashValue)
    }

    @Test func errorsSayWhereAndWhy() {
        #expect(throws: JSONParseError(reason: .trailingData, offset: 3)) { try JSONParser().parse("{} x") }
        #expect(throws: JSONParseError(reason: .unexpectedEnd, offset: 5)) { try JSONParser().parse("{\"a\":") }
        #expect(throws: JSONParseError(reason: .tooDeep, offset: 2)) { try JSONParser(maximumDepth: 2).parse("[[[]]]") }
    }

    @Test func canonicalFormSortsKeysBytewiseAndEscapesMinimally() throws {
        let value = try JSONParser().parse(
            #"{"é":1,"b":"a/b \u0001\u001f\"\\ é","B":[1.5,2.0,-0.25,1e-7],"a":{"z":null,"y":false}}"#
        )
        #expect(
            CanonicalJSON.string(of: value)
                == #"{"B":[1.5,2,-0.25,1e-07],"a":{"y":false,"z":null},"b":"a/b \u0001\u001f\"\\ é","é":1}"#
        )
        #expect(CanonicalJSON.string(of: .string("\u{8}\u{c}\n\r\t\u{7f}")) == "\"\\b\\f\\n\\r\\t\u{7f}\"")
        #expect(CanonicalJSON.string(of: .string("\"")) == #""\"""#)
        #expect(CanonicalJSON.string(of: .string("")) == #""""#)
    }

    @Test(arguments: [Int64.min, -1_000, -10, -9, -1, 0, 9, 10, 99, 100, 4_096, .max])
    func integersAsTheirDecimalDigits(_ integer: Int64) {
        var out: [UInt8] = []
        CanonicalJSON.writeInteger(integer, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == String(integer))
    }

    @Test func primaryKeyHashIgnoresMemberOrder() throws {
        let first = try #require(try JSONParser().parse(#"{"b":2,"a":"x"}"#).objectValue)
        let second = try #require(try JSONParser().parse(#"{"a":"x","b":2}"#).objectValue)
        #expect(PrimaryKeyHash.canonicalJSON(of: first) == #"{"a":"x","b":2}"#)
        #expect(PrimaryKeyHash.hash(of: first) == "768ca668c0f84dd39bf269e25c9a3f0af4812e41026b6fead9a2666078ef16f6")
        #expect(PrimaryKeyHash.hash(of: first) == PrimaryKeyHash.hash(of: second))
    }

    @Test func codableRoundTripKeepsTypes() throws {
        let value = try JSONParser().parse(#"{"i":3,"d":2.5,"s":"x","n":null,"b":true,"a":[1,{"k":"v"}]}"#)
        let encoded = try JSONEncoderForTests.encode(value)
        #expect(try JSONParser().parse(encoded) == value)
    }
}

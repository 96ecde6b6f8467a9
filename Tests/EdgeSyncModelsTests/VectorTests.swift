import EdgeSyncModels
import GRDB
import TestSupport
import Testing

@Suite("Spec vectors")
struct VectorTests {
    /// Each DDL runs in a real SQLite database; `PRAGMA table_info` feeds the fingerprint exactly as
    /// the agent will, and the result must match the vector byte for byte.
    @Test func fingerprintsFromRealSQLite() throws {
        let vectors = try SpecVectors.fingerprints()
        #expect(vectors.count >= 6)
        let queue = try DatabaseQueue()
        for vector in vectors {
            let info = try queue.write { db -> [TableInfoColumn] in
                try db.execute(sql: vector.ddl)
                return try Row.fetchAll(
                    db,
                    sql: "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?)",
                    arguments: [vector.tableName]
                )
                .map {
                    TableInfoColumn(
                        name: $0["name"],
                        declaredType: $0["type"],
                        notNull: $0["notnull"] as Int != 0,
                        pk: $0["pk"]
                    )
                }
            }
            let fingerprint = SchemaFingerprint(tableName: vector.tableName, tableInfo: info)
            #expect(fingerprint.canonicalJSON == vector.canonicalJSON, "\(vector.tableName)")
            #expect(fingerprint.schemaHash == vector.schemaHash, "\(vector.tableName)")
        }
    }

    /// The canonical JSON of each vector parses back into the same fingerprint.
    @Test func fingerprintDocumentsRoundTrip() throws {
        for vector in try SpecVectors.fingerprints() {
            let parsed = try SchemaFingerprint(json: try JSONParser().parse(vector.canonicalJSON))
            #expect(parsed.schemaHash == vector.schemaHash)
            #expect(parsed.canonicalJSON == vector.canonicalJSON)
        }
    }

    @Test func everyPayloadGetsItsVerdict() throws {
        let cases = try SpecVectors.payloads()
        #expect(cases.count >= 13)
        let validator = PayloadValidator()
        for vector in cases {
            let topic = try #require(UplinkTopic(rawValue: vector.topicSuffix), "\(vector.name)")
            let verdict: String
            switch validator.validate(vector.bytes, topic: topic) {
            case .success: verdict = "ok"
            case .failure(let rejection): verdict = rejection.code.rawValue
            }
            #expect(verdict == vector.expect, "\(vector.name)")
        }
    }

    /// Every code the product added to the contract is published with a vector that earns it.
    @Test func everyAddedRowBatchCodeHasAVector() throws {
        let published = Set(try SpecVectors.payloads().map(\.expect))
        for code in [RejectionCode.rowOnDelete, .commitSeqOutOfOrder, .pkRowMismatch, .invalidContentEncoding] {
            #expect(published.contains(code.rawValue), "\(code.rawValue)")
        }
    }

    /// A vector file that is missing or malformed fails the test with its path, never a crash.
    @Test func aMissingOrMalformedVectorFileNamesTheFile() throws {
        #expect {
            try SpecVectors.load("no-such-vectors.json", as: [SpecVectors.Payload].self)
        } throws: { "\($0)".contains("docs/spec/vectors/no-such-vectors.json") && "\($0)".contains("cannot be read") }
        #expect {
            try SpecVectors.load("fingerprints.json", as: [SpecVectors.Payload].self)
        } throws: {
            "\($0)".contains("docs/spec/vectors/fingerprints.json") && "\($0)".contains("not a valid vector file")
        }
        #expect { try SpecVectors.body("no such vector") } throws: {
            "\($0)".contains("no vector named \"no such vector\"")
        }
    }

    @Test func validRowBatchDecodesCompletely() throws {
        let vector = try #require(try SpecVectors.payloads().first { $0.name == "valid row batch" })
        guard
            case .success(.rowBatch(let batch)) = PayloadValidator().validate(vector.bytes, topic: .rowBatch)
        else {
            Issue.record("not accepted")
            return
        }
        #expect(batch.sourceTable == "device_state")
        #expect(batch.rows.map(\.op) == [.insert, .update, .delete])
        #expect(batch.rows[0].row?["setpoint"] == .double(20.5))
        #expect(batch.rows[1].row?["setpoint"] == .integer(21))
        #expect(batch.rows[2].row == nil)
        #expect(batch.firstCommitSeq == 101 && batch.lastCommitSeq == 103)
        #expect(batch.rows[0].sourcePKHash == "037c9214eef74cc3887f3a4f085b4e17d76280dafd273b0ee160c09c4ba1cfd4")
    }
}

import EdgeSyncModels
import Server
import Testing

@Suite("Schema classification")
struct SchemaClassifierTests {
    let v1 = deviceStateV1.columns
    var approved: SchemaClassifier.Approved { .init(hash: "h1", columns: v1, bindings: []) }

    @Test func firstUnknownAndMapped() {
        #expect(
            SchemaClassifier.classify(hash: "h1", columns: v1, current: nil, approvedHashes: []).classification
                == .ambiguous
        )
        #expect(
            SchemaClassifier.classify(hash: "h2", columns: nil, current: approved, approvedHashes: ["h1"])
                .classification == .unknown
        )
        #expect(
            SchemaClassifier.classify(hash: "h0", columns: nil, current: approved, approvedHashes: ["h0", "h1"])
                .classification == .compatibleMapped
        )
        #expect(
            SchemaClassifier.classify(
                hash: "h9",
                columns: v1,
                current: approved,
                approvedHashes: ["h1"],
                registryApproved: true
            ).classification == .compatibleMapped
        )
    }

    @Test func additiveBreakingAndAmbiguous() {
        func classify(_ columns: [SchemaColumn], bindings: [ColumnAction] = []) -> SchemaClassification {
            SchemaClassifier.classify(
                hash: "h2",
                columns: columns,
                current: .init(hash: "h1", columns: v1, bindings: bindings),
                approvedHashes: ["h1"]
            ).classification
        }
        #expect(classify(deviceStateV2.columns) == .compatibleAdditive)
        let newKey = v1 + [SchemaColumn(name: "site", declTypeAffinity: .text, pkOrdinal: 2, notNull: true)]
        #expect(classify(newKey) == .breaking)
        #expect(classify([v1[0]]) == .breaking)
        #expect(
            classify([v1[0]], bindings: [ColumnAction(sourceColumnName: "mode", action: .ignore)]) == .compatibleMapped
        )
        var retyped = v1
        retyped[1].declTypeAffinity = .integer
        #expect(classify(retyped) == .breaking)
        #expect(classify(retyped, bindings: [ColumnAction(sourceColumnName: "mode", action: .ignore)]) == .ambiguous)
        var nullability = v1
        nullability[1].notNull = true
        #expect(classify(nullability) == .ambiguous)
    }
}

@Suite("Secrets")
struct SecretsTests {
    @Test func passwordsAreSaltedAndVerified() {
        let stored = Secrets.passwordHash("s3cret")
        #expect(stored.hasPrefix("pbkdf2-sha256$10000$"))
        #expect(Secrets.verifyPassword(Array("s3cret".utf8), against: stored))
        #expect(!Secrets.verifyPassword(Array("s3cret!".utf8), against: stored))
        #expect(Secrets.passwordHash("s3cret") != stored)
        #expect(!Secrets.verifyPassword(Array("x".utf8), against: "garbage"))
    }

    @Test func tokensAreLongAndHashed() {
        let token = Secrets.randomToken()
        #expect(token.count == 3 + 64)
        #expect(Secrets.tokenHash(token).count == 64 && Secrets.tokenHash(token) != token)
    }

    /// PBKDF2-HMAC-SHA256("password", "salt", 10,000 iterations), as Python's hashlib computes it.
    @Test func pbkdf2MatchesAReferenceImplementation() {
        let derived = Secrets.passwordHash("password", salt: Array("salt".utf8))
        #expect(
            derived == "pbkdf2-sha256$10000$73616c74$5ec02b91a4b59c6f59dd5fbe4ca649ece4fa8568cdb8ba36cf41426e8805522b"
        )
    }
}

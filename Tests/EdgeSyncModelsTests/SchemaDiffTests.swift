import EdgeSyncModels
import Testing

@Suite("Schema diff and suggested actions")
struct SchemaDiffTests {
    let v1 = [
        SchemaColumn(name: "id", declTypeAffinity: .integer, pkOrdinal: 1, notNull: true),
        SchemaColumn(name: "mode", declTypeAffinity: .text, pkOrdinal: 0, notNull: false),
        SchemaColumn(name: "raw", declTypeAffinity: .blob, pkOrdinal: 0, notNull: false),
        SchemaColumn(name: "setpoint", declTypeAffinity: .real, pkOrdinal: 0, notNull: false),
    ]

    @Test func firstReviewMarksEverythingAdded() {
        let diff = SchemaDiff.diff(current: v1, previous: nil)
        #expect(diff.map(\.marker) == [.added, .added, .added, .added])
        #expect(diff.map(\.name) == ["id", "mode", "raw", "setpoint"])
    }

    @Test func changesGetTheirMarkersAndPreviousBindings() {
        let v2 = [
            SchemaColumn(name: "id", declTypeAffinity: .integer, pkOrdinal: 1, notNull: true),
            SchemaColumn(name: "mode", declTypeAffinity: .integer, pkOrdinal: 0, notNull: false),
            SchemaColumn(name: "setpoint", declTypeAffinity: .real, pkOrdinal: 2, notNull: true),
            SchemaColumn(name: "zone", declTypeAffinity: .text, pkOrdinal: 0, notNull: false),
        ]
        let bindings = [ColumnAction(sourceColumnName: "raw", action: .ignore)]
        let diff = SchemaDiff.diff(current: v2, previous: v1, bindings: bindings)
        #expect(diff.map(\.marker) == [.unchanged, .typeChanged, .removed, .pkChanged, .added])
        #expect(diff[2].previousBinding?.action == .ignore)
        #expect(diff[1].previousAffinity == .text && diff[1].affinity == .integer)
    }

    @Test func suggestionsFollowTheSpec() {
        let rows = SchemaDiff.suggestedActions(columns: v1, strategy: .rows)
        #expect(rows.allSatisfy { $0.action == .mirror })
        let telemetryColumns = [
            SchemaColumn(name: "id", declTypeAffinity: .integer, pkOrdinal: 1, notNull: false),
            SchemaColumn(name: "ts", declTypeAffinity: .text, pkOrdinal: 0, notNull: true),
            SchemaColumn(name: "recorded_at", declTypeAffinity: .text, pkOrdinal: 0, notNull: false),
            SchemaColumn(name: "reading", declTypeAffinity: .real, pkOrdinal: 0, notNull: false),
        ]
        let telemetry = SchemaDiff.suggestedActions(columns: telemetryColumns, strategy: .telemetry)
        #expect(telemetry.map(\.action) == [.mirror, .ignore, .ignore, .autoCreateAndMap])
    }

    @Test func unchangedColumnsKeepTheirBinding() {
        let bindings = [ColumnAction(sourceColumnName: "mode", action: .mirror, mirrorColumnName: "operating_mode")]
        let suggested = SchemaDiff.suggestedActions(columns: v1, strategy: .rows, previous: v1, bindings: bindings)
        #expect(suggested[1].mirrorColumnName == "operating_mode")
    }
}

import EdgeSyncModels

/// Classifies a schema hash a lineage has not had approved, against its current approved
/// version (docs/spec/governance.md, "Schema versions and classification").
public enum SchemaClassifier {
    public struct Approved: Sendable {
        public var hash: String
        public var columns: [SchemaColumn]
        public var bindings: [ColumnAction]

        public init(hash: String, columns: [SchemaColumn], bindings: [ColumnAction]) {
            self.hash = hash
            self.columns = columns
            self.bindings = bindings
        }
    }

    public struct Verdict: Sendable, Hashable {
        public var classification: SchemaClassification
        public var reason: String
        /// Whether a human must decide before rows of this schema can materialize.
        public var needsReview: Bool { classification != .compatibleMapped }
    }

    /// - Parameters:
    ///   - columns: the new schema's columns; nil when the device sent none (`unknown`).
    ///   - current: the lineage's current approved version; nil for a first schema.
    ///   - approvedHashes: every hash this lineage had approved before.
    ///   - registryApproved: the coalescing registry approved this hash for the device's scope.
    public static func classify(
        hash: String,
        columns: [SchemaColumn]?,
        current: Approved?,
        approvedHashes: Set<String>,
        registryApproved: Bool = false
    ) -> Verdict {
        if approvedHashes.contains(hash) {
            return Verdict(classification: .compatibleMapped, reason: "an earlier approved version of this lineage")
        }
        if registryApproved {
            return Verdict(classification: .compatibleMapped, reason: "approved in the schema registry")
        }
        guard let columns else {
            return Verdict(
                classification: .unknown,
                reason: "the device sent no schema_columns; columns inferred from rows"
            )
        }
        guard let current else {
            return Verdict(classification: .ambiguous, reason: "first schema of this lineage")
        }
        let old = Dictionary(current.columns.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let new = Dictionary(columns.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let binding = Dictionary(
            current.bindings.map { ($0.sourceColumnName, $0.action) },
            uniquingKeysWith: { first, _ in first }
        )
        let removed = old.keys.filter { new[$0] == nil }.sorted()
        let added = new.keys.filter { old[$0] == nil }.sorted()
        let pkChanged =
            old.values.contains { column in
                new[column.name].map { $0.pkOrdinal != column.pkOrdinal } ?? column.isPrimaryKey
            }
            || added.contains { new[$0]!.isPrimaryKey }
        if pkChanged {
            return Verdict(classification: .breaking, reason: "primary key membership changed")
        }
        let boundRemoved = removed.filter { (binding[$0] ?? .mirror) != .ignore }
        if !boundRemoved.isEmpty {
            return Verdict(
                classification: .breaking,
                reason: "bound column removed: \(boundRemoved.joined(separator: ", "))"
            )
        }
        let retyped = old.values.filter { column in
            guard let now = new[column.name] else { return false }
            return now.declTypeAffinity != column.declTypeAffinity && (binding[column.name] ?? .mirror) != .ignore
        }.map(\.name).sorted()
        if !retyped.isEmpty {
            return Verdict(
                classification: .breaking,
                reason: "bound column changed affinity: \(retyped.joined(separator: ", "))"
            )
        }
        let otherChanges = old.values.contains { column in
            guard let now = new[column.name] else { return false }
            return now.notNull != column.notNull || now.declTypeAffinity != column.declTypeAffinity
        }
        if !otherChanges, added.isEmpty, !removed.isEmpty {
            return Verdict(classification: .compatibleMapped, reason: "only columns bound `ignore` were removed")
        }
        if !otherChanges, removed.isEmpty, !added.isEmpty {
            return Verdict(classification: .compatibleAdditive, reason: "new columns: \(added.joined(separator: ", "))")
        }
        return Verdict(classification: .ambiguous, reason: "changes not covered by the compatibility rules")
    }

    /// A rows table needs a key to be mirrored row by row; the review says what to do instead.
    public static func missingKey(strategy: LineageStrategy, columns: [SchemaColumn]?) -> String? {
        guard strategy == .rows, let columns, !columns.contains(where: \.isPrimaryKey) else { return nil }
        return "no primary key: declare one on the device, or capture the table with the telemetry strategy"
    }

    /// The verdict with the missing-key warning appended when it applies.
    static func flagged(_ verdict: Verdict, strategy: LineageStrategy, columns: [SchemaColumn]?) -> Verdict {
        guard let problem = missingKey(strategy: strategy, columns: columns) else { return verdict }
        var flagged = verdict
        flagged.reason += "; " + problem
        return flagged
    }
}

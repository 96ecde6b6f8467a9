/// Safe SQL identifiers derived from names a device sent (docs/spec/governance.md, "Materialization
/// targets"). Device-supplied names are never used raw: they are lowercased, reduced to
/// `[a-z0-9_]`, and disambiguated with a hash of the original whenever that changed anything,
/// so `Temp`, `temp ` and `temp` can never land on the same column.
public enum MirrorIdentifier {
    /// Longest derived stem before the disambiguating `_xxxxxxxx` suffix.
    public static let maximumStemLength = 40
    /// Longest identifier the server accepts from an operator (PostgreSQL's limit).
    public static let maximumIdentifierLength = 63

    /// The derivation rule of the spec, for table and column names alike.
    public static func derive(_ source: String) -> String {
        var (stem, changed) = normalize(source)
        return finish(stem: &stem, changed: changed, source: source)
    }

    /// The default mirror column name of a source column. Names starting with `_` are reserved for
    /// platform columns (`_device_id`, `_commit_seq`, …), so such a result gets a `c` in front
    /// (and, being changed, the hash suffix).
    public static func columnName(forSourceColumn source: String) -> String {
        var (stem, changed) = columnStem(source)
        return finish(stem: &stem, changed: changed, source: source)
    }

    /// A column name before its hash suffix, and whether the derivation changed the source.
    private static func columnStem(_ source: String) -> (String, Bool) {
        let (stem, changed) = normalize(source)
        return stem.isEmpty || stem.hasPrefix("_") ? ("c" + stem, true) : (stem, changed)
    }

    /// The default column names of a table's source columns, distinct from each other and from
    /// `reserved` by construction. A name the derivation left as it was keeps it; a derived one
    /// that lands on a taken name (`Temp` → `temp_d62f436b` beside a column named so, or a
    /// series' `device_id`) gets a longer hash suffix until it is free.
    public static func columnNames(forSourceColumns sources: [String], reserved: Set<String> = []) -> [String: String] {
        var names: [String: String] = [:]
        var taken = reserved
        var derived: [String] = []
        for source in sources where names[source] == nil {
            let name = columnName(forSourceColumn: source)
            if name == source, !reserved.contains(name) {
                names[source] = name
                taken.insert(name)
            } else {
                derived.append(source)
            }
        }
        for source in derived.sorted() {
            var (stem, _) = columnStem(source)
            var name = finish(stem: &stem, changed: true, source: source)
            var attempt = 0
            while taken.contains(name) {
                attempt += 1
                // 16, 32, then the whole digest; past that (a reserved name equal to it) a counter.
                let length = min(8 << attempt, 64)
                name = finish(stem: &stem, changed: true, source: source, suffixLength: length)
                if 8 << attempt > 64 { name += "_\(attempt)" }
            }
            names[source] = name
            taken.insert(name)
        }
        return names
    }

    /// True for names the platform keeps for its own columns.
    public static func isReserved(_ name: String) -> Bool {
        name.hasPrefix("_")
    }

    /// Why an operator-chosen mirror column name is unusable, or nil when it is fine.
    public static func problem(withColumnName name: String) -> String? {
        if name.isEmpty { return "must not be empty" }
        if isReserved(name) { return "must not start with `_` (reserved for platform columns)" }
        if name.utf8.count > maximumIdentifierLength { return "must be at most \(maximumIdentifierLength) bytes" }
        let allowed = name.utf8.allSatisfy { isIdentifierByte($0) }
        if !allowed { return "may contain only a-z, 0-9 and _" }
        if let first = name.utf8.first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") {
            return "must not start with a digit"
        }
        return nil
    }

    /// `edge_mirror_{scope}_{table}` for a rows lineage.
    public static func mirrorTableName(scope: MirrorScope, sourceTable: String) -> String {
        "edge_mirror_" + scope.tag + "_" + derive(sourceTable)
    }

    /// `edge_ts_{scope}_{table}` for a telemetry lineage.
    public static func seriesTableName(scope: MirrorScope, sourceTable: String) -> String {
        "edge_ts_" + scope.tag + "_" + derive(sourceTable)
    }

    private static func normalize(_ source: String) -> (String, Bool) {
        var changed = false
        var out: [UInt8] = []
        out.reserveCapacity(source.utf8.count)
        let lowered = source.lowercased()
        if lowered != source { changed = true }
        for scalar in lowered.unicodeScalars {
            var byte = UInt8(ascii: "_")
            if scalar.isASCII, isIdentifierByte(UInt8(scalar.value)) {
                byte = UInt8(scalar.value)
            } else {
                changed = true
            }
            if byte == UInt8(ascii: "_"), out.last == UInt8(ascii: "_") {
                changed = true
                continue
            }
            out.append(byte)
        }
        return (String(decoding: out, as: UTF8.self), changed)
    }

    private static func finish(stem: inout String, changed: Bool, source: String, suffixLength: Int = 8) -> String {
        guard changed || stem.utf8.count > maximumStemLength else { return stem }
        if stem.utf8.count > maximumStemLength {
            stem = String(decoding: stem.utf8.prefix(maximumStemLength), as: UTF8.self)
        }
        return stem + "_" + SHA256Hex.digest(source).prefix(suffixLength)
    }

    private static func isIdentifierByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"): true
        default: false
        }
    }
}

/// Whose target a lineage materializes into: its own (device) or a coalesced one.
public enum MirrorScope: Sendable, Hashable {
    case device(id: String)
    case project(id: String)
    case fleet(id: String)

    /// `{device8}`, `p{project8}` or `f{fleet8}`: the first 8 hex chars of the UUID without dashes.
    public var tag: String {
        switch self {
        case .device(let id): Self.prefix8(id)
        case .project(let id): "p" + Self.prefix8(id)
        case .fleet(let id): "f" + Self.prefix8(id)
        }
    }

    private static func prefix8(_ uuid: String) -> String {
        String(uuid.lowercased().filter { $0 != "-" }.prefix(8))
    }
}

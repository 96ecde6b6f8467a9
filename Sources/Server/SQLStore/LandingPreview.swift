import EdgeSyncModels

/// Staged rows as an approval's replay would write them into `target`, computed without writing:
/// the same column choice and value conversion as `MirrorWriter` and the series append, so a
/// value the store would refuse shows its problem here, before the approval.
struct LandingPreview {
    let target: MaterializationTarget
    /// The store keeps values in their column's type (`SQLDialect.strictTypes`).
    let strict: Bool

    /// The columns of each row's values, in order.
    var columns: [String] {
        (target.kind == .series ? ["event_ts"] : []) + orderedColumns.map(\.target)
    }

    /// Key columns first, as the mirror's primary key orders them.
    private var orderedColumns: [MaterializationTarget.Column] {
        target.keyColumns + target.columns.filter { $0.pkOrdinal == 0 }
    }

    func rows(_ staged: [StagedRow]) -> [LandingRow] {
        staged.map { row in
            target.kind == .series ? sample(row) : change(row)
        }
    }

    /// Columns of an existing target these actions no longer write: platform columns aside.
    func staleColumns(existing: [SQLColumn]) -> [String] {
        let written = Set(target.columns.map(\.target))
        return existing.map(\.name).filter { name in
            !written.contains(name) && !MirrorIdentifier.isReserved(name)
                && !(target.kind == .series && ColumnActionValidator.seriesPlatformColumns.contains(name))
        }
    }

    private func change(_ staged: StagedRow) -> LandingRow {
        let op = staged.op ?? .insert
        var values: JSONObject = [:]
        do throws(MaterializationError) {
            for column in orderedColumns {
                let isKey = column.pkOrdinal > 0
                guard let value = (isKey ? staged.pk?[column.source] : nil) ?? staged.row?[column.source] else {
                    if isKey { throw .permanent("the row has no value for primary-key column \(column.source)") }
                    continue
                }
                guard isKey || op != .delete else { continue }
                values[column.target] = try stored(value, column)
            }
        } catch {
            return LandingRow(op: op, values: values, problem: error.description)
        }
        return LandingRow(op: op, values: values)
    }

    private func sample(_ staged: StagedRow) -> LandingRow {
        var values: JSONObject = ["event_ts": staged.ts.map { .string($0.description) } ?? .null]
        do throws(MaterializationError) {
            for column in orderedColumns {
                if let value = staged.row?[column.source] { values[column.target] = try stored(value, column) }
            }
        } catch {
            return LandingRow(op: nil, values: values, problem: error.description)
        }
        return LandingRow(op: nil, values: values)
    }

    private func stored(
        _ value: JSONValue,
        _ column: MaterializationTarget.Column
    ) throws(MaterializationError)
        -> JSONValue
    {
        try MirrorValue.stored(value, column: column.source, affinity: column.affinity, strict: strict).jsonValue
    }
}

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
        (target.kind == .series ? ["event_ts"] : []) + (keyColumns + dataColumns).map(\.target)
    }

    /// Key columns first, as the mirror's primary key orders them, then the others.
    private var keyColumns: [MaterializationTarget.Column] { target.keyColumns }
    private var dataColumns: [MaterializationTarget.Column] { target.columns.filter { $0.pkOrdinal == 0 } }

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

    /// The values `MirrorWriter` would write for the change, by target column name.
    private func change(_ staged: StagedRow) -> LandingRow {
        let op = staged.op ?? .insert
        do throws(MaterializationError) {
            let (key, data) = try MirrorValue.rowValues(
                op: op,
                pk: staged.pk ?? [:],
                row: staged.row,
                keyColumns: keyColumns,
                dataColumns: dataColumns,
                strict: strict
            )
            var values: JSONObject = [:]
            for (column, value) in zip(keyColumns, key) { values[column.target] = value.jsonValue }
            for (index, column) in dataColumns.enumerated() {
                if let value = data[index] { values[column.target] = value.jsonValue }
            }
            return LandingRow(op: op, values: values)
        } catch {
            return LandingRow(op: op, values: [:], problem: error.description)
        }
    }

    private func sample(_ staged: StagedRow) -> LandingRow {
        var values: JSONObject = ["event_ts": staged.ts.map { .string($0.description) } ?? .null]
        do throws(MaterializationError) {
            // A series has no key: its columns are its target's, in order.
            for column in target.columns {
                if let value = staged.row?[column.source] {
                    values[column.target] = try MirrorValue.stored(value, column, strict: strict).jsonValue
                }
            }
        } catch {
            return LandingRow(op: nil, values: values, problem: error.description)
        }
        return LandingRow(op: nil, values: values)
    }
}

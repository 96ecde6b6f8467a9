extension Envelope {
    /// Row-batch checks after the common header, in the spec's order: journal_epoch, op,
    /// missing row, row on a delete, commit_seq range, commit_seq order, schema hash, keys.
    func rowBatch() throws(PayloadRejection) -> RowBatch {
        let journalEpoch = try uuidv7(field: "journal_epoch", code: .invalidJournalEpoch)
        let rows = try rowObjects()
        var ops: [RowOperation] = []
        ops.reserveCapacity(rows.count)
        for (index, row) in rows.enumerated() {
            guard let text = row["op"]?.stringValue, let op = RowOperation(rawValue: text) else {
                throw reject(.invalidRowOp, "rows[\(index)].op must be insert, update or delete")
            }
            ops.append(op)
        }
        for (index, row) in rows.enumerated() where ops[index].carriesRow {
            if row["row"] == nil || row["row"]?.isNull == true {
                throw reject(.missingRowForUpsert, "rows[\(index)] is an \(ops[index].rawValue) without a row")
            }
        }
        for (index, row) in rows.enumerated() where !ops[index].carriesRow {
            if let value = row["row"], !value.isNull {
                throw reject(.rowOnDelete, "rows[\(index)] is a delete with a row; a delete carries \"row\": null")
            }
        }
        var changes: [RowChange] = []
        changes.reserveCapacity(rows.count)
        var minimum = Int64.max
        var maximum = Int64.min
        var disorder: Int?
        for (index, row) in rows.enumerated() {
            let change = try rowChange(row, op: ops[index], index: index)
            if disorder == nil, let previous = changes.last, change.commitSeq < previous.commitSeq { disorder = index }
            minimum = min(minimum, change.commitSeq)
            maximum = max(maximum, change.commitSeq)
            changes.append(change)
        }
        let first = object["first_commit_seq"]?.integerValue
        let last = object["last_commit_seq"]?.integerValue
        guard first == minimum, last == maximum else {
            throw reject(
                .commitSeqRangeMismatch,
                "first/last_commit_seq are \(describe(first))/\(describe(last)); the rows span \(minimum)…\(maximum)"
            )
        }
        if let index = disorder {
            throw reject(
                .commitSeqOutOfOrder,
                "rows[\(index)].commit_seq \(changes[index].commitSeq) follows \(changes[index - 1].commitSeq); rows go in commit_seq order"
            )
        }
        let fingerprint = try schemaColumns()
        try checkKeys(changes, fingerprint: fingerprint)
        var snapshotThrough: Int64?
        if let value = object["snapshot_through_commit_seq"], !value.isNull {
            guard let through = value.integerValue, through >= 0 else {
                throw invalid("snapshot_through_commit_seq", expected: "an integer ≥ 0")
            }
            snapshotThrough = through
        }
        var batch = RowBatch(
            batchID: batchID!,
            journalEpoch: journalEpoch,
            sourceTable: sourceTable,
            schemaHash: schemaHash,
            schemaColumns: fingerprint,
            rows: changes
        )
        batch.formatVersion = formatVersion
        batch.snapshotThrough = snapshotThrough
        return batch
    }

    private func rowChange(_ row: JSONObject, op: RowOperation, index: Int) throws(PayloadRejection) -> RowChange {
        let path = "rows[\(index)]"
        guard let commitSeq = row["commit_seq"]?.integerValue, commitSeq >= 0 else {
            throw invalid(path + ".commit_seq", expected: "an integer ≥ 0")
        }
        guard let pk = row["pk"]?.objectValue, !pk.isEmpty else {
            throw invalid(path + ".pk", expected: "a non-empty object")
        }
        try checkNames(pk, path: path + ".pk")
        var values: JSONObject?
        if op.carriesRow {
            guard let object = row["row"]?.objectValue else { throw invalid(path + ".row", expected: "an object") }
            try checkNames(object, path: path + ".row")
            values = object
        }
        var lkcv: Int64?
        if let value = row["lkcv"], !value.isNull {
            guard let version = value.integerValue else { throw invalid(path + ".lkcv", expected: "an integer") }
            lkcv = version
        }
        return RowChange(commitSeq: commitSeq, op: op, pk: pk, row: values, lkcv: lkcv)
    }

    /// `pk` names the row's key: with `schema_columns`, exactly its key columns (`rowid` for a
    /// table without a key); and every key column the row carries holds the same value as `pk`.
    private func checkKeys(_ changes: [RowChange], fingerprint: SchemaFingerprint?) throws(PayloadRejection) {
        let declared = fingerprint.map { columns -> Set<String> in
            let key = Set(columns.columns.filter(\.isPrimaryKey).map(\.name))
            return key.isEmpty ? ["rowid"] : key
        }
        for (index, change) in changes.enumerated() {
            if let declared, Set(change.pk.members.map(\.key)) != declared {
                throw reject(
                    .pkRowMismatch,
                    "rows[\(index)].pk has \(change.pk.members.map(\.key).sorted()); the key columns are \(declared.sorted())"
                )
            }
            guard let row = change.row else { continue }
            for member in change.pk.members {
                guard let value = row[member.key] else { continue }
                if !Self.sameKey(value, member.value) {
                    throw reject(
                        .pkRowMismatch,
                        "rows[\(index)].pk.\(member.key) is \(CanonicalJSON.string(of: member.value)) but its row holds \(CanonicalJSON.string(of: value))"
                    )
                }
            }
        }
    }

    /// Equal as key values: as their canonical JSON would be (a whole REAL equals its integer),
    /// without writing it for every row.
    private static func sameKey(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.integer(let integer), .double(let double)), (.double(let double), .integer(let integer)):
            Double(integer) == double && abs(double) < 9_007_199_254_740_992
        default: lhs == rhs
        }
    }

    private func describe(_ value: Int64?) -> String {
        value.map(String.init) ?? "missing"
    }
}

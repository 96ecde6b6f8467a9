import EdgeSyncModels
import Foundation

/// `make bench`: prints timings; never part of `make test`, never asserted on.
/// Today it measures payload validation; the full suite (issue 9) extends it.
@main
struct EdgeBench {
    static func main() async throws {
        // Started before any suspension, on the main thread, so the broker gets a normal signal mask.
        let broker = BenchBroker(port: 28_830)
        try validator()
        try await Task.sleep(for: .milliseconds(300))
        try await MQTTThroughputBench.run(mosquittoPort: broker?.port)
        broker?.stop()
        if broker == nil { print("mqtt: mosquitto not installed; run `make deps` for the comparison") }
        try await ServerBench.run()
        try await GovernanceBench.run()
        try await AgentBench.run()
    }

    static func validator() throws {
        let (batch, _) = try largestRowBatch()
        print("validator: one row batch of \(batch.count) bytes (limit \(WireLimits.maximumPayloadBytes))")
        let validator = PayloadValidator()
        for _ in 0..<5 { _ = validator.validate(batch, topic: .rowBatch) }
        var samples: [Double] = []
        for _ in 0..<50 {
            let start = ContinuousClock.now
            guard case .success = validator.validate(batch, topic: .rowBatch) else {
                print("validator: the generated batch was rejected")
                return
            }
            samples.append(milliseconds(ContinuousClock.now - start))
        }
        samples.sort()
        let median = samples[samples.count / 2]
        let p90 = samples[samples.count * 9 / 10]
        print(String(format: "validator: median %.2f ms, p90 %.2f ms, %.0f MiB/s", median, p90,
                     Double(batch.count) / 1_048_576 / (median / 1000)))
    }

    /// A row batch as large as the protocol allows: as many rows as fit under 512 KiB (at most
    /// 4,096), the last one padded up to the limit. Returns the body and its row count.
    static func largestRowBatch(firstCommitSeq: Int64 = 1_000) throws -> ([UInt8], Int) {
        let fingerprint = SchemaFingerprint(tableName: "order_events", columns: [
            SchemaColumn(name: "order_id", declTypeAffinity: .text, pkOrdinal: 1, notNull: true),
            SchemaColumn(name: "line", declTypeAffinity: .integer, pkOrdinal: 2, notNull: true),
            SchemaColumn(name: "qty", declTypeAffinity: .integer, pkOrdinal: 0, notNull: false),
            SchemaColumn(name: "price", declTypeAffinity: .numeric, pkOrdinal: 0, notNull: false),
            SchemaColumn(name: "note", declTypeAffinity: .text, pkOrdinal: 0, notNull: false),
        ])
        var rowCount = WireLimits.maximumRowsPerBatch
        while true {
            var batch = RowBatch(
                batchID: UUIDv7Generator.shared.next(), journalEpoch: UUIDv7Generator.shared.next(),
                sourceTable: "order_events", schemaHash: fingerprint.schemaHash, schemaColumns: fingerprint,
                rows: (0..<rowCount).map { row($0, firstCommitSeq: firstCommitSeq) })
            let bytes = try JSONEncoder().encode(batch)
            let room = WireLimits.maximumPayloadBytes - bytes.count - 16
            if room >= 0 {
                batch.rows[rowCount - 1].row?["note"] = .string(String(repeating: "x", count: room))
                return (Array(try JSONEncoder().encode(batch)), rowCount)
            }
            rowCount = rowCount * 95 / 100
        }
    }

    static func row(_ index: Int, firstCommitSeq: Int64) -> RowChange {
        let pk: JSONObject = ["order_id": .string("ord-\(index / 4)"), "line": .integer(Int64(index % 4))]
        var row = pk
        row["qty"] = .integer(Int64(index % 17))
        row["price"] = .double(Double(index) * 0.25 + 0.5)
        row["note"] = .string("n\(index) \u{00E9}")
        return RowChange(commitSeq: firstCommitSeq + Int64(index), op: index % 5 == 0 ? .update : .insert, pk: pk, row: row)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        seconds(duration) * 1000
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

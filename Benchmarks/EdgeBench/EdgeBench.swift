import EdgeSyncModels
import Foundation
import Logging

/// `make bench`: every area measured against a reference in the same run, printed as it goes and
/// written to `BENCHMARKS.md` (a full run only). Never part of `make test`, never asserted on.
/// `edge-bench AREA…` runs some areas (for profiling one).
@main
struct EdgeBench {
    /// The in-process servers' logs would interleave with the figures.
    static let quiet = Logger(label: "edge-bench") { _ in SwiftLogNoOpLogHandler() }

    static let areas = [
        "ingest", "replay", "mqtt", "capture", "device", "api", "scale", "console", "validator", "postgres",
    ]

    static func main() async throws {
        if CommandLine.arguments.dropFirst().first == MQTTThroughputBench.clientFlag {
            return try await MQTTThroughputBench.clientMain(Array(CommandLine.arguments.dropFirst(2)))
        }
        if CommandLine.arguments.dropFirst().first == MQTTThroughputBench.listenerFlag {
            return try await MQTTThroughputBench.listenerMain(Array(CommandLine.arguments.dropFirst(2)))
        }
        let requested = Array(CommandLine.arguments.dropFirst())
        if let unknown = requested.first(where: { !areas.contains($0) }) {
            // A flag as much as a mistyped area: a full run would rewrite BENCHMARKS.md.
            let help = unknown == "--help" || unknown == "-h"
            print(
                """
                \(help ? "" : "edge-bench: no area \(unknown)\n")usage: edge-bench [AREA…]
                  no AREA: every area, written to BENCHMARKS.md (`make bench`)
                  areas: \(areas.joined(separator: " "))
                """
            )
            exit(help ? 0 : 2)
        }
        let selected = requested.isEmpty ? areas : areas.filter(requested.contains)
        let report = BenchReport()
        let started = Date()
        let clock = ContinuousClock.now
        // Started before any suspension, on the main thread, so the broker gets a normal signal mask.
        let broker = selected.contains("mqtt") ? BenchBroker(port: 28_830) : nil
        let ceiling = try await median(of: 5) { try SQLiteCeiling.measure() }
        print(
            String(
                format:
                    "reference: raw SQLite inserts of the same rows, prepared statement, 10,000 per transaction: %.0f rows/s (median of 5)",
                ceiling
            )
        )
        for area in selected {
            switch area {
            case "ingest": try await ServerBench.ingest(report, store: .sqlite(ceiling: ceiling))
            case "replay": try await GovernanceBench.run(report, store: .sqlite(ceiling: ceiling))
            case "mqtt":
                try await Task.sleep(for: .milliseconds(300))
                try await MQTTThroughputBench.run(report, mosquittoPort: broker?.port)
                broker?.stop()
            case "capture": try await AgentBench.run(report, ceiling: ceiling)
            case "device": try await DeviceBench.run(report)
            case "api": try await ServerBench.apiLatency(report)
            case "scale": try await ScaleBench.run(report)
            case "console": try await ConsoleBench.run(report)
            case "postgres": try await PostgresBench.run(report)
            default: try validator(report)
            }
        }
        guard requested.isEmpty else { return }
        let markdown = report.markdown(started: started, seconds: seconds(ContinuousClock.now - clock))
        try markdown.write(toFile: "BENCHMARKS.md", atomically: true, encoding: .utf8)
        print("\n" + markdown + "\nwritten to BENCHMARKS.md")
    }

    /// Validation of one 512 KiB row batch against decoding the same bytes with JSONSerialization.
    static func validator(_ report: BenchReport) throws {
        let (batch, _) = try largestRowBatch()
        let validator = PayloadValidator()
        guard case .success = validator.validate(batch, topic: .rowBatch) else {
            print("validator: the generated batch was rejected")
            return
        }
        let ours = median(50) { _ = validator.validate(batch, topic: .rowBatch) }
        let data = Data(batch)
        let foundation = median(50) { _ = try? JSONSerialization.jsonObject(with: data) }
        report.add(
            Figure(
                section: "Validation",
                name: "one 512 KiB row batch, all checks (median)",
                value: ours,
                unit: "ms",
                reference: "JSONSerialization parse only",
                referenceValue: foundation,
                higherIsBetter: false
            )
        )
    }

    /// An executable of the same build (`edge-agent`, `platform-tui`), next to this one.
    static func sibling(_ name: String) -> URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent(name)
    }

    /// With `EDGE_BENCH_PROFILE=1`, announces the timed part and waits 3 s, so a profiler can
    /// attach to this process for just that part (`perf record -g -p PID`).
    static func profilePoint(_ what: String) async {
        guard ProcessInfo.processInfo.environment["EDGE_BENCH_PROFILE"] == "1" else { return }
        FileHandle.standardOutput.write(Data("profile: \(what) starts in 3 s (pid \(getpid()))\n".utf8))
        try? await Task.sleep(for: .seconds(3))
    }

    /// Median milliseconds of `runs` calls, after a few warm-up calls.
    static func median(_ runs: Int, _ body: () -> Void) -> Double {
        for _ in 0..<3 { body() }
        var samples: [Double] = []
        for _ in 0..<runs {
            let start = ContinuousClock.now
            body()
            samples.append(milliseconds(ContinuousClock.now - start))
        }
        return samples.sorted()[runs / 2]
    }

    /// Runs of a throughput figure that take its median: a run of a second or two moves by up to
    /// a fifth between runs on a 2-core machine, more than most differences worth seeing.
    static let runs = 3

    /// The median of `runs` measurements (an odd count).
    nonisolated(nonsending) static func median(
        of runs: Int,
        _ measure: () async throws -> Double
    ) async rethrows -> Double {
        var values: [Double] = []
        for _ in 0..<runs { values.append(try await measure()) }
        return values.sorted()[runs / 2]
    }

    /// The medians of `runs` measurements of a figure and of its reference, taken in turn so that
    /// a slow moment of the machine falls on both, and each going first in every other run (what
    /// one leaves behind, dirty pages say, falls on both too); each closure gets the run's index.
    nonisolated(nonsending) static func alternating(
        _ runs: Int,
        _ figure: (Int) async throws -> Double,
        _ reference: (Int) async throws -> Double
    ) async rethrows -> (figure: Double, reference: Double) {
        var figures: [Double] = []
        var references: [Double] = []
        for run in 0..<runs {
            if run.isMultiple(of: 2) {
                figures.append(try await figure(run))
                references.append(try await reference(run))
            } else {
                references.append(try await reference(run))
                figures.append(try await figure(run))
            }
        }
        return (figures.sorted()[runs / 2], references.sorted()[runs / 2])
    }

    /// Percentile (0–100) of sorted samples.
    static func percentile(_ sorted: [Double], _ p: Int) -> Double {
        sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, sorted.count * p / 100)]
    }

    static let fingerprint = SchemaFingerprint(
        tableName: "order_events",
        columns: [
            SchemaColumn(name: "order_id", declTypeAffinity: .text, pkOrdinal: 1, notNull: true),
            SchemaColumn(name: "line", declTypeAffinity: .integer, pkOrdinal: 2, notNull: true),
            SchemaColumn(name: "qty", declTypeAffinity: .integer, pkOrdinal: 0, notNull: false),
            SchemaColumn(name: "price", declTypeAffinity: .numeric, pkOrdinal: 0, notNull: false),
            SchemaColumn(name: "note", declTypeAffinity: .text, pkOrdinal: 0, notNull: false),
        ]
    )

    /// A row batch of `rows` rows of the benchmark table.
    static func rowBatch(rows: Int, firstCommitSeq: Int64) throws -> ([UInt8], Int) {
        let batch = RowBatch(
            batchID: UUIDv7Generator.shared.next(),
            journalEpoch: UUIDv7Generator.shared.next(),
            sourceTable: "order_events",
            schemaHash: fingerprint.schemaHash,
            schemaColumns: fingerprint,
            rows: (0..<rows).map { row($0, firstCommitSeq: firstCommitSeq) }
        )
        return (Array(try JSONEncoder().encode(batch)), rows)
    }

    /// A row batch as large as the protocol allows: as many rows as fit under 512 KiB (at most
    /// 4,096), the last one padded up to the limit. Returns the body and its row count.
    static func largestRowBatch(firstCommitSeq: Int64 = 1_000) throws -> ([UInt8], Int) {
        var rowCount = WireLimits.maximumRowsPerBatch
        while true {
            var batch = RowBatch(
                batchID: UUIDv7Generator.shared.next(),
                journalEpoch: UUIDv7Generator.shared.next(),
                sourceTable: "order_events",
                schemaHash: fingerprint.schemaHash,
                schemaColumns: fingerprint,
                rows: (0..<rowCount).map { row($0, firstCommitSeq: firstCommitSeq) }
            )
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
        return RowChange(
            commitSeq: firstCommitSeq + Int64(index),
            op: index % 5 == 0 ? .update : .insert,
            pk: pk,
            row: row
        )
    }

    static func milliseconds(_ duration: Duration) -> Double {
        seconds(duration) * 1000
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

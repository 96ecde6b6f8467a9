import Foundation

/// One measured figure, with the reference measured in the same run that gives it meaning.
struct Figure: Sendable {
    var section: String
    var name: String
    var value: Double
    var unit: String
    var reference: String
    var referenceValue: Double
    /// Throughputs: higher is better; latencies, memory and frame times: lower.
    var higherIsBetter = true
    var note = ""

    /// value / reference.
    var ratio: Double { referenceValue == 0 ? 0 : value / referenceValue }

    static func number(_ value: Double, _ unit: String) -> String {
        switch unit {
        case "ms": value < 10 ? String(format: "%.2f ms", value) : String(format: "%.1f ms", value)
        case "MiB": String(format: "%.1f MiB", value)
        default:
            value >= 1_000
                ? "\(Int(value.rounded()).formatted(.number.grouping(.automatic))) \(unit)"
                : String(format: "%.1f %@", value, unit)
        }
    }

    var line: String {
        "\(section) · \(name): \(Self.number(value, unit)) vs \(reference) \(Self.number(referenceValue, unit)) (ratio \(String(format: "%.2f", ratio)))"
            + (note.isEmpty ? "" : " · \(note)")
    }
}

/// Collects the figures, prints them as they come, and writes `BENCHMARKS.md`.
final class BenchReport: @unchecked Sendable {
    private(set) var figures: [Figure] = []
    private let lock = NSLock()

    func add(_ figure: Figure) {
        lock.withLock { figures.append(figure) }
        print(figure.line)
    }

    func markdown(started: Date, seconds: Double) -> String {
        let rows = figures.map { figure in
            "| \(figure.section) | \(figure.name) | **\(Figure.number(figure.value, figure.unit))** | \(figure.reference): \(Figure.number(figure.referenceValue, figure.unit)) | "
                + String(format: "%.2f", figure.ratio) + (figure.higherIsBetter ? " ↑" : " ↓") + " | \(figure.note) |"
        }
        return """
            # Benchmarks

            Written by `make bench` (release build, `edge-bench`) on \(Machine.description), \
            \(ISO8601DateFormatter().string(from: started)); the run took \(Int(seconds)) s.
            Every figure comes with a reference measured in the same run; the ratio is figure ÷ reference
            (↑: higher is better, ↓: lower is better). A throughput that takes a second or two is the
            median of 3 runs within this one, as its note says (the raw SQLite reference of 5), since one
            such run moves by up to a fifth; expect a few percent of noise still, more on a busy machine.

            | Area | Figure | Value | Reference (same run) | Ratio | Notes |
            |---|---|---|---|---|---|
            \(rows.joined(separator: "\n"))

            Regenerate: `make bench` (or `.build/release/edge-bench [area…]` for some areas:
            \(EdgeBench.areas.joined(separator: ", "))).

            """
    }
}

/// What the figures were measured on.
enum Machine {
    static var description: String {
        let cpu =
            (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        let memory =
            (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("MemTotal") }?
            .split(separator: " ").compactMap { Double($0) }.first.map { String(format: "%.1f GiB", $0 / 1_048_576) }
            ?? "? GiB"
        return "\(cpu), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(memory) RAM"
    }

    /// Resident memory of a process (kB from /proc), in MiB.
    static func residentMiB(pid: Int32) -> Double {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let kilobytes =
            status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }?.split(separator: " ").compactMap {
                Double($0)
            }.first ?? 0
        return kilobytes / 1024
    }
}

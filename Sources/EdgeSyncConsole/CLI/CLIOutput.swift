import ArgumentParser
import EdgeSyncModels
import Foundation

enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// Aligned columns for people.
    case table
    /// The API's response envelope, pretty-printed.
    case json
    /// One compact JSON object per line (list items, or the one resource).
    case jsonl
}

/// The options every CLI subcommand takes.
struct CLIOptions: ParsableArguments {
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "table, json (the API's response) or jsonl (one object per line).")
    var output: OutputFormat = .table
}

/// Writes results to stdout in the chosen format; tables never cut a value (scripts and
/// people copy ids from them).
struct CLIOutput: Sendable {
    /// A block of a resource's table output.
    enum Section {
        case fields([(String, String)])
        case table(title: String, columns: [String], rows: [[String]])
    }

    let format: OutputFormat

    func list<Item: Codable & Sendable>(_ page: PageEnvelope<Item>, columns: [String], row: (Item) -> [String]) {
        switch format {
        case .json: write(Self.json(page, pretty: true))
        case .jsonl: for item in page.data { write(Self.json(item, pretty: false)) }
        case .table:
            write(Self.table(columns: columns, rows: page.data.map(row)))
            let meta = page.meta
            write(
                "page \(meta.page) of \(meta.pageCount) · \(meta.total) in all"
                    + (meta.page < meta.pageCount ? " (--page \(meta.page + 1) for more)" : "")
            )
        }
    }

    func resource<Resource: Codable & Sendable>(_ value: Resource, _ sections: [Section]) {
        switch format {
        case .json: write(Self.json(ResourceEnvelope(value), pretty: true))
        case .jsonl: write(Self.json(value, pretty: false))
        case .table:
            var blocks: [String] = []
            for section in sections {
                switch section {
                case .fields(let fields):
                    let width = fields.map { TextWidth.of($0.0) }.max() ?? 0
                    blocks.append(
                        fields.map { $0.0 + String(repeating: " ", count: width - TextWidth.of($0.0) + 2) + $0.1 }
                            .joined(separator: "\n")
                    )
                case .table(let title, let columns, let rows):
                    blocks.append(title + "\n" + (rows.isEmpty ? "  (none)" : Self.table(columns: columns, rows: rows)))
                }
            }
            write(blocks.joined(separator: "\n\n"))
        }
    }

    func write(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func json<Value: Encodable>(_ value: Value, pretty: Bool) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting =
            pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "null"
    }

    /// Left-aligned columns, numbers right-aligned, two spaces apart, nothing cut.
    static func table(columns: [String], rows: [[String]]) -> String {
        let widths = columns.indices.map { index in
            ([columns[index]] + rows.map { $0[index] }).map(TextWidth.of).max() ?? 0
        }
        // A column of whole numbers (or "-" where there is none) is right-aligned.
        let numeric = columns.indices.map { index in
            rows.contains { Int64($0[index]) != nil } && rows.allSatisfy { Int64($0[index]) != nil || $0[index] == "-" }
        }
        func line(_ cells: [String]) -> String {
            var text = cells.indices.map { index in
                let pad = String(repeating: " ", count: widths[index] - TextWidth.of(cells[index]))
                return numeric[index] ? pad + cells[index] : cells[index] + pad
            }.joined(separator: "  ")
            while text.hasSuffix(" ") { text.removeLast() }
            return text
        }
        return ([line(columns)] + rows.map(line)).joined(separator: "\n")
    }
}

/// Runs one CLI command against the server the options name, in its first project; API and
/// transport errors become `CLIError`s (and so exit codes).
enum CLI {
    static func run(
        _ options: CLIOptions,
        _ body: (APIClient, _ base: String, CLIOutput) async throws -> Void
    ) async throws {
        let client = try options.connection.client()
        do {
            let project = try await options.connection.project(on: client)
            try await body(client, "/projects/\(project.id)", CLIOutput(format: options.output))
        } catch let error as ClientError {
            throw CLIError.api(error)
        }
    }

    /// A query string from the parameters that are set.
    static func query(_ parameters: [(String, String?)]) -> String {
        let set = parameters.compactMap { name, value in
            value.map { "\(name)=\($0.addingPercentEncoding(withAllowedCharacters: .urlQueryValue) ?? $0)" }
        }
        return set.isEmpty ? "" : "?" + set.joined(separator: "&")
    }

    /// `…Z` UTC time of a timestamp, for tables.
    static func time(_ timestamp: Timestamp?) -> String {
        timestamp.map { $0.description } ?? "-"
    }
}

extension CharacterSet {
    /// What may stay unescaped in a query value.
    static let urlQueryValue = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~:"))
}

/// Why a CLI command failed; `exitCode` follows docs/spec/tui.md: 1 error, 2 not found / usage.
enum CLIError: Error, Sendable, CustomStringConvertible {
    case noServer(String)
    case usage(String)
    case notFound(String)
    case api(ClientError)
    case file(String)

    var code: String {
        switch self {
        case .noServer: "no_server"
        case .usage: "usage"
        case .notFound: "not_found"
        case .api(let error): error.code
        case .file: "file"
        }
    }

    var exitCode: Int32 {
        switch self {
        case .usage, .notFound: 2
        case .api(.api(let status, _)) where status == 404: 2
        default: 1
        }
    }

    var description: String {
        switch self {
        case .noServer(let message), .usage(let message), .notFound(let message), .file(let message):
            "\(code): \(message)"
        case .api(let error): "\(error)"
        }
    }
}

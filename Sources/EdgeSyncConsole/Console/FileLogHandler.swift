import Foundation
import Logging
import Synchronization

/// The embedded server's log while the console owns the terminal: appended to
/// `<data-dir>/server.log` (stderr would scribble over the screen).
struct FileLogHandler: LogHandler {
    /// One open file shared by every logger of the server.
    final class Sink: Sendable {
        let handle: Mutex<FileHandle?>

        init(path: String) {
            if !FileManager.default.fileExists(atPath: path) {
                _ = FileManager.default.createFile(atPath: path, contents: nil)
            }
            let file = FileHandle(forWritingAtPath: path)
            _ = try? file?.seekToEnd()
            handle = Mutex(file)
        }
    }

    let sink: Sink
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let details =
            merged.isEmpty
            ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let error = event.error.map { " error=\($0)" } ?? ""
        let text = "\(Date().ISO8601Format()) \(event.level) \(event.message)\(details)\(error)\n"
        sink.handle.withLock { try? $0?.write(contentsOf: Data(text.utf8)) }
    }
}

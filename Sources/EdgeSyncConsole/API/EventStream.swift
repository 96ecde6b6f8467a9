import CCurl
import EdgeSyncModels
import Foundation
import Synchronization

/// The live event stream (`GET …/events/stream`, Server-Sent Events) on its own thread:
/// each `data:` line decodes to an `Event` handed to `onEvent`; `Last-Event-ID` resumes after
/// a drop, and `stop()` ends it.
final class EventStream: Sendable {
    private let stopped = Atomic<Bool>(false)
    let client: APIClient
    let path: String

    init(client: APIClient, path: String) {
        self.client = client
        self.path = path
    }

    func stop() {
        stopped.store(true, ordering: .relaxed)
    }

    /// Connects and reconnects (1 s apart) until stopped.
    func start(onEvent: @escaping @Sendable (Event) -> Void) {
        Thread.detachNewThread { [self] in
            var lastID: Int64?
            while !stopped.load(ordering: .relaxed) {
                lastID = follow(after: lastID, onEvent: onEvent) ?? lastID
                if !stopped.load(ordering: .relaxed) { Thread.sleep(forTimeInterval: 1) }
            }
        }
    }

    /// What the write callback works with: the partial line buffer and where to deliver.
    final class Parser {
        var buffer: [UInt8] = []
        var lastID: Int64?
        let onEvent: @Sendable (Event) -> Void
        let stopped: @Sendable () -> Bool

        init(lastID: Int64?, onEvent: @escaping @Sendable (Event) -> Void, stopped: @escaping @Sendable () -> Bool) {
            self.lastID = lastID
            self.onEvent = onEvent
            self.stopped = stopped
        }

        func feed(_ bytes: UnsafeRawBufferPointer) {
            buffer.append(contentsOf: bytes)
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                guard line.hasPrefix("data: "),
                    let event = try? JSONDecoder().decode(Event.self, from: Data(line.dropFirst(6).utf8))
                else { continue }
                lastID = event.id
                onEvent(event)
            }
        }
    }

    /// One connection; returns the last event id seen.
    private func follow(after lastID: Int64?, onEvent: @escaping @Sendable (Event) -> Void) -> Int64? {
        guard let handle = curl_easy_init() else { return nil }
        defer { curl_easy_cleanup(handle) }
        var headers = curl_slist_append(nil, "Authorization: Bearer \(client.token)")
        headers = curl_slist_append(headers, "Accept: text/event-stream")
        if let lastID { headers = curl_slist_append(headers, "Last-Event-ID: \(lastID)") }
        defer { curl_slist_free_all(headers) }
        let parser = Parser(
            lastID: lastID,
            onEvent: onEvent,
            stopped: { [self] in self.stopped.load(ordering: .relaxed) }
        )
        withExtendedLifetime(parser) {
            _ = edge_curl_set_string(handle, CURLOPT_URL, client.baseURL + "/core/api/v1" + path)
            _ = edge_curl_set_pointer(handle, CURLOPT_HTTPHEADER, headers.map { UnsafeMutableRawPointer($0) })
            _ = edge_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
            _ = edge_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT, 5)
            _ = edge_curl_set_pointer(handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(parser).toOpaque())
            _ = edge_curl_set_write_function(handle) { data, size, count, context in
                guard let data, let context else { return 0 }
                let parser = Unmanaged<Parser>.fromOpaque(context).takeUnretainedValue()
                // Returning less than given aborts the transfer: how stop() ends a stream.
                guard !parser.stopped() else { return 0 }
                parser.feed(UnsafeRawBufferPointer(start: data, count: size * count))
                return size * count
            }
            // An idle stream gets no writes: the progress callback notices stop() within a second.
            _ = edge_curl_set_progress(
                handle,
                { context, _, _, _, _ in
                    guard let context else { return 1 }
                    return Unmanaged<Parser>.fromOpaque(context).takeUnretainedValue().stopped() ? 1 : 0
                },
                Unmanaged.passUnretained(parser).toOpaque()
            )
            _ = curl_easy_perform(handle)
        }
        return parser.lastID
    }
}

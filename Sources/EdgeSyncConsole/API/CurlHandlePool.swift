import CCurl
import Synchronization

/// libcurl easy handles kept between calls: a reused handle keeps its connection to the server
/// alive and its DNS cache, so a refresh's requests do not each pay a TCP connect. A handle is
/// used by one call at a time; at most `idleLimit` wait for the next call.
final class CurlHandlePool: Sendable {
    /// A handle is a pointer libcurl owns; only the pool and the one call holding it touch it.
    private struct Handle: @unchecked Sendable {
        let pointer: UnsafeMutableRawPointer
    }

    private let idle = Mutex<[Handle]>([])
    private let connections = Atomic<Int>(0)
    let idleLimit: Int

    /// Connections opened so far by the pool's handles: fewer than calls when they are reused.
    var connectionsOpened: Int { connections.load(ordering: .relaxed) }

    init(idleLimit: Int = 4) {
        self.idleLimit = idleLimit
    }

    deinit {
        idle.withLock { handles in
            for handle in handles { curl_easy_cleanup(handle.pointer) }
        }
    }

    /// Runs `body` with a handle: an idle one reset to defaults (its connections kept), or a new one.
    func withHandle<T>(_ body: (UnsafeMutableRawPointer) throws -> T) throws -> T {
        let reused = idle.withLock { $0.popLast() }
        guard let pointer = reused?.pointer ?? curl_easy_init() else {
            throw ClientError.transport("curl_easy_init failed")
        }
        if reused != nil { curl_easy_reset(pointer) }
        defer {
            connections.add(edge_curl_new_connections(pointer), ordering: .relaxed)
            let kept = idle.withLock { handles -> Bool in
                guard handles.count < idleLimit else { return false }
                handles.append(Handle(pointer: pointer))
                return true
            }
            if !kept { curl_easy_cleanup(pointer) }
        }
        return try body(pointer)
    }
}

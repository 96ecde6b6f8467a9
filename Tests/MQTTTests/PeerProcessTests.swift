import Foundation
import Synchronization
import Testing

import struct TestSupport.ProcessRunner

#if canImport(Glibc)
import Glibc
#endif

/// The third-party peers the tests start must hold none of the test process's sockets: a
/// connection the listener closes would stay open in a peer, and its client would wait for the end
/// forever (seen once as `protocolViolationsCloseTheConnection` hanging); a port a test probed and
/// let go would stay bound (`Address already in use`).
@Suite("Peer processes") struct PeerProcessTests {
    /// Sockets opened on other threads while a peer is being started (NIO's are not close-on-exec)
    /// included.
    @Test func socketsOpenedWhileAPeerStartsStayHere() async throws {
        let stop = Atomic<Bool>(false)
        let opener = Thread {
            while !stop.load(ordering: .relaxed) {
                let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                if descriptor >= 0 { close(descriptor) }
            }
        }
        opener.start()
        defer { stop.store(true, ordering: .relaxed) }
        for _ in 0..<20 {
            let peer = try ProcessRunner.start("sleep", ["60"])
            let inherited = Self.sockets(of: peer)
            await peer.stop()
            #expect(inherited == [])
        }
    }

    /// The peer's sockets. (Its other descriptors come and go as it starts: the loader opens its
    /// libraries.)
    static func sockets(of peer: ProcessRunner.Running) -> [String] {
        let directory = "/proc/\(peer.pid)/fd"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return entries.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + $0) }
            .filter { $0.hasPrefix("socket:") }
    }
}

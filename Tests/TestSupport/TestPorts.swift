import NIOCore
import NIOPosix
import Synchronization

/// Ports `freeTestPort` has handed out in this process.
private let handedOut = Mutex<Set<Int>>([])

/// A loopback port that is free now, chosen below the kernel's ephemeral range (32768+) so that
/// listeners binding port 0 in parallel tests can never be handed the same one. A port is handed
/// out once per process: a test binds its port some time after this returns (a broker started
/// later, say), and a parallel test handed the same free port in between would take it first.
public func freeTestPort() async throws -> Int {
    while true {
        let port = Int.random(in: 20_000..<32_000)
        guard handedOut.withLock({ $0.insert(port).inserted }) else { continue }
        guard
            let channel = try? await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(host: "127.0.0.1", port: port).get()
        else { continue }
        try await channel.close()
        return port
    }
}

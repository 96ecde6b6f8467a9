import NIOCore
import NIOPosix

/// A loopback port that is free now, chosen below the kernel's ephemeral range (32768+) so that
/// listeners binding port 0 in parallel tests can never be handed the same one.
public func freeTestPort() async throws -> Int {
    while true {
        let port = Int.random(in: 20_000..<32_000)
        guard
            let channel = try? await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(host: "127.0.0.1", port: port).get()
        else { continue }
        try await channel.close()
        return port
    }
}

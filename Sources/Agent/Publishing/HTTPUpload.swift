import EdgeSyncModels
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The upload PUT on the NIO stack the agent already runs: the object streams from its file in
/// 64 KiB pieces with the channel's backpressure, so memory stays flat whatever its size.
struct HTTPUpload {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The parts of an `http://` or `https://` URL the PUT needs.
    struct Target: Sendable, Hashable {
        var tls: Bool
        var host: String
        var port: Int
        /// Path and query, as sent on the request line.
        var resource: String

        init?(_ url: String) {
            let scheme: String
            if url.hasPrefix("https://") {
                scheme = "https://"
                tls = true
            } else if url.hasPrefix("http://") {
                scheme = "http://"
                tls = false
            } else {
                return nil
            }
            let rest = url.dropFirst(scheme.count)
            let authority = rest.prefix { $0 != "/" && $0 != "?" }
            resource = String(rest.dropFirst(authority.count))
            if !resource.hasPrefix("/") { resource = "/" + resource }
            var hostPart = Substring(authority)
            var portPart: Substring?
            if hostPart.hasPrefix("["), let close = hostPart.firstIndex(of: "]") {
                portPart = hostPart[hostPart.index(after: close)...].dropFirst()
                hostPart = hostPart[hostPart.index(after: hostPart.startIndex)..<close]
            } else if let colon = hostPart.lastIndex(of: ":") {
                portPart = hostPart[hostPart.index(after: colon)...]
                hostPart = hostPart[..<colon]
            }
            guard !hostPart.isEmpty else { return nil }
            host = String(hostPart)
            if let portPart, !portPart.isEmpty {
                guard let number = Int(portPart), (1...65_535).contains(number) else { return nil }
                port = number
            } else {
                port = tls ? 443 : 80
            }
        }
    }

    var tls: TLSConfiguration
    var timeout: Duration = .seconds(600)
    var group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton

    /// PUTs the file at `path` to `url`; returns the HTTP status.
    func put(file path: String, to url: String, contentType: String) async throws -> Int {
        guard let target = Target(url) else { throw Failure(description: "not an http(s) URL: \(url.prefix(80))") }
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw Failure(description: "cannot open \(path): errno \(errno)") }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw Failure(description: "cannot stat \(path)") }
        let length = Int(info.st_size)
        let context = target.tls ? try NIOSSLContext(configuration: tls) : nil
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(30))
            .connect(host: target.host, port: target.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context {
                        let name = target.host.first?.isNumber == true || target.host.contains(":") ? nil : target.host
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: context, serverHostname: name)
                        )
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel
                    )
                }
            }
        // A server that stops reading or answering must not hold the upload forever.
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        let watchdog = channel.channel.eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) { [channel] in
            channel.channel.close(promise: nil)
        }
        defer { watchdog.cancel() }
        return try await channel.executeThenClose { inbound, outbound in
            var headers = HTTPHeaders()
            headers.add(
                name: "Host",
                value: target.port == (target.tls ? 443 : 80) ? target.host : "\(target.host):\(target.port)"
            )
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Content-Length", value: String(length))
            try await outbound.write(
                .head(HTTPRequestHead(version: .http1_1, method: .PUT, uri: target.resource, headers: headers))
            )
            var buffer = [UInt8](repeating: 0, count: 65_536)
            var sent = 0
            while sent < length {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                guard count > 0 else { throw Failure(description: "\(path) ended after \(sent) of \(length) bytes") }
                try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: buffer[0..<count]))))
                sent += count
            }
            try await outbound.write(.end(nil))
            for try await part in inbound {
                if case .head(let head) = part { return Int(head.status.code) }
            }
            throw Failure(description: "the server closed the connection without an answer")
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// systemd's notification protocol (`sd_notify(3)`), without libsystemd: datagrams on the Unix
/// socket named by `NOTIFY_SOCKET`. `Type=notify` waits for `READY=1`; with `WatchdogSec=` the
/// agent's main loop says `WATCHDOG=1` at half the interval, so a loop that hangs is restarted.
/// Without `NOTIFY_SOCKET` (not under systemd) every call does nothing.
struct ServiceNotifier: Sendable {
    /// The socket's path; `@` at the start names the abstract namespace.
    let socketPath: String?
    /// Half of `WATCHDOG_USEC`, when systemd asks for keep-alives from this process.
    let keepAliveInterval: Duration?
    private var lastKeepAlive: ContinuousClock.Instant?

    init(socketPath: String?, watchdogMicroseconds: Int64?) {
        self.socketPath = socketPath.flatMap { $0.isEmpty ? nil : $0 }
        keepAliveInterval = watchdogMicroseconds.flatMap { $0 > 0 ? .microseconds($0 / 2) : nil }
    }

    /// From the environment systemd gives the service (`WATCHDOG_PID`, when set, must be ours).
    static func fromEnvironment() -> ServiceNotifier {
        func variable(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
        let forUs = variable("WATCHDOG_PID").map { Int32($0) == getpid() } ?? true
        return ServiceNotifier(
            socketPath: variable("NOTIFY_SOCKET"),
            watchdogMicroseconds: forUs ? variable("WATCHDOG_USEC").flatMap { Int64($0) } : nil
        )
    }

    func ready(status: String) { send("READY=1\nSTATUS=\(status)") }

    func stopping() { send("STOPPING=1") }

    /// Called on every turn of the main loop; sends `WATCHDOG=1` once per half interval.
    mutating func keepAlive(now: ContinuousClock.Instant = .now) {
        guard let keepAliveInterval else { return }
        if let lastKeepAlive, now - lastKeepAlive < keepAliveInterval { return }
        lastKeepAlive = now
        send("WATCHDOG=1")
    }

    /// One datagram; failures are ignored (a notification is advice to the service manager).
    func send(_ message: String) {
        guard let socketPath else { return }
        var path = Array(socketPath.utf8)
        if path.first == UInt8(ascii: "@") { path[0] = 0 }
        var address = sockaddr_un()
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else { return }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path) }
        #if canImport(Glibc)
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let descriptor = socket(AF_UNIX, SOCK_DGRAM, 0)
        #endif
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + path.count)
        let bytes = Array(message.utf8)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bytes.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, 0, socketAddress, length) }
            }
        }
    }
}

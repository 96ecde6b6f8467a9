import Foundation

/// Whether a process holds a TCP socket listening on a port, read from Linux's `/proc`. A probe
/// that merely connects cannot tell a server's own listener from another process's on the same
/// port: a server that failed to bind would pass for ready.
public enum ListeningSocket {
    /// Whether `pid` has a file descriptor on a socket in the LISTEN state bound to `port`.
    public static func held(by pid: pid_t, port: Int) -> Bool {
        let inodes = listeningInodes(port: port)
        guard !inodes.isEmpty,
            let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")
        else { return false }
        return descriptors.contains { descriptor in
            guard
                let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(descriptor)")
            else { return false }
            return inodes.contains(target)
        }
    }

    /// `socket:[inode]` for every socket listening on `port`, IPv4 and IPv6.
    static func listeningInodes(port: Int) -> Set<String> {
        let hexPort = String(format: ":%04X", port)
        var inodes: Set<String> = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
            // Columns: sl, local_address, rem_address, st, tx_queue:rx_queue, tr:tm->when, retrnsmt,
            // uid, timeout, inode. State 0A is LISTEN.
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count > 9, fields[1].hasSuffix(hexPort), fields[3] == "0A" else { continue }
                inodes.insert("socket:[\(fields[9])]")
            }
        }
        return inodes
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which file a path names now: device and inode. A database restored from a backup or reset
/// to its factory copy is another file under the same path, even when it holds an old copy of
/// the agent's catalog.
public struct FileIdentity: Sendable, Hashable, CustomStringConvertible {
    public var device: UInt64
    public var inode: UInt64

    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    /// The identity of the file at `path`, nil when there is none.
    public init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        self.init(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    public var description: String { "\(device):\(inode)" }
}

/// The database the agent captured last (the random id in its catalog, and the file), and what
/// it finds now.
enum DatabaseIdentity: Sendable, Hashable {
    /// No catalog and no recorded database: capture starts for the first time.
    case firstRun
    /// The database the agent left.
    case same
    /// Another database under the path, or the agent's state is new: every table starts a new
    /// epoch with a snapshot.
    case replaced(String)

    static func compare(
        catalogID: String?,
        file: FileIdentity,
        recorded: (id: String, file: FileIdentity)?
    ) -> DatabaseIdentity {
        switch (catalogID, recorded) {
        case (nil, nil): return .firstRun
        case (nil, .some): return .replaced("the database no longer holds the agent's catalog")
        case (.some, nil): return .replaced("the agent's state is new")
        case (.some(let id), .some(let recorded)):
            if id != recorded.id { return .replaced("the database's id changed (\(recorded.id) → \(id))") }
            if file != recorded.file { return .replaced("the file was replaced (\(recorded.file) → \(file))") }
            return .same
        }
    }
}

/// Free space for unprivileged writes on the filesystem holding `path`.
func availableBytes(at path: String) -> Int64? {
    var info = statvfs()
    guard statvfs(path, &info) == 0 else { return nil }
    return Int64(info.f_bavail) * Int64(info.f_frsize)
}

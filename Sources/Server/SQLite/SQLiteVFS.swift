import CSQLitePacing
import GRDB
import GRDBSQLite

/// The process's SQLite VFS (`CSQLitePacing`): the default one's files, which a connection can ask
/// to pace a main database's writes (the copier's) or to coalesce a WAL's writes (the writer's).
/// It is the default VFS once installed, as GRDB opens its connections with the default.
enum SQLiteVFS {
    /// The VFS's name in SQLite's registry, shared by every store of the process.
    static let name = "edgesync"
    /// The most of a paced database file's writes that a copy leaves to the disk at a time.
    static let flushAfter = 256 * 1_024

    /// Registers the VFS, once per process, before any store opens its file.
    static func install() throws {
        let code = edgesync_sqlite_register_vfs(name, Int64(flushAfter))
        guard code == SQLITE_OK else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "cannot register the SQLite VFS")
        }
    }

    /// Has the connection's WAL write each commit's frames at once (see `edgesync_sqlite_coalesce_wal`).
    /// The connection must sync every commit (synchronous FULL or EXTRA).
    static func coalesceWAL(_ db: Database) throws {
        // A commit's frames must be synced, and so written, before other connections can read them.
        guard try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? 0 >= 2 else {
            throw DatabaseError(
                resultCode: .SQLITE_MISUSE,
                message: "a WAL coalesces its writes only with synchronous FULL"
            )
        }
        let code = edgesync_sqlite_coalesce_wal(db.sqliteConnection)
        guard code == SQLITE_OK else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "the WAL cannot coalesce its writes")
        }
    }

    /// The writes the connection's WAL has made to its file, or nil without a WAL of this VFS.
    static func walWrites(_ db: Database) -> Int? {
        let writes = edgesync_sqlite_wal_writes(db.sqliteConnection)
        return writes < 0 ? nil : Int(writes)
    }
}

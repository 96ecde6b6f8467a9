#ifndef EDGESYNC_CSQLITEPACING_H
#define EDGESYNC_CSQLITEPACING_H

struct sqlite3;

/// Registers, once, an SQLite VFS named `name` over the default one, and makes it the default: a
/// file behaves as the default VFS's until its connection asks for one of two things.
///
/// A main database file can pace its writes (`EDGESYNC_SQLITE_FCNTL_PACING`): every `flush_after`
/// bytes written, the connection starts the file's writeback and waits for it, so that the disk
/// never holds more than that of the file's writes queued. A WAL checkpoint otherwise leaves
/// megabytes of pages to its final fsync, and another file's fsync on the same disk (the WAL's,
/// at every commit) waits behind them. Without `sync_file_range` (not Linux) nothing is paced.
///
/// A WAL can coalesce its writes (`edgesync_sqlite_coalesce_wal`). Returns an SQLite result code.
int edgesync_sqlite_register_vfs(const char *name, long long flush_after);

/// One connection's pacing: whether it is paused, and how many times its files waited for their
/// writeback. A connection hands it to its main database file once, before any other use:
/// `sqlite3_file_control(db, "main", EDGESYNC_SQLITE_FCNTL_PACING, pacing)`. Free it after closing
/// the connection.
typedef struct edgesync_sqlite_pacing edgesync_sqlite_pacing;

/// A file-control opcode of this VFS's own (SQLite leaves those above 100 to applications' VFSes).
#define EDGESYNC_SQLITE_FCNTL_PACING 0x45530001

edgesync_sqlite_pacing *edgesync_sqlite_pacing_create(void);
void edgesync_sqlite_pacing_free(edgesync_sqlite_pacing *pacing);

/// Pauses the pacing (`pause` nonzero) or ends one pause (zero); pauses nest. Any thread.
void edgesync_sqlite_pacing_pause(edgesync_sqlite_pacing *pacing, int pause);

/// How many times the connection's files waited for their writeback.
long long edgesync_sqlite_pacing_flushes(const edgesync_sqlite_pacing *pacing);

/// Has the connection's WAL gather its writes while each continues the one before, and write them
/// at once when it syncs (or before anything that reads, sizes or truncates it, and at 1 MiB).
/// SQLite writes a commit's frames as two writes each, a header and a page, and a commit of 20
/// pages made 40 system calls, most of them touching two pages of the page cache. Only for a
/// connection with `synchronous` FULL: SQLite syncs a commit's frames before it makes them
/// visible to other connections, so none reads a frame still gathered here. The WAL must be open
/// (the connection has read the database) and this VFS's. Returns an SQLite result code.
int edgesync_sqlite_coalesce_wal(struct sqlite3 *db);

/// How many writes the connection's WAL has made to its file (gathered ones count once), or -1.
long long edgesync_sqlite_wal_writes(struct sqlite3 *db);

#endif

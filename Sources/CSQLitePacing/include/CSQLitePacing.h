#ifndef EDGESYNC_CSQLITEPACING_H
#define EDGESYNC_CSQLITEPACING_H

/// Registers, once, an SQLite VFS named `name` over the default one whose main database files pace
/// their writes: every `flush_after` bytes written, a connection starts the file's writeback and
/// waits for it, so that the disk never holds more than that of the file's writes queued. A WAL
/// checkpoint otherwise leaves megabytes of pages to its final fsync, and another file's fsync on
/// the same disk (the WAL's, at every commit) waits behind them. Journals, WALs and temporary
/// files are the default VFS's, untouched. Without `sync_file_range` (not Linux) nothing is paced.
/// Returns an SQLite result code.
int edgesync_sqlite_register_paced_vfs(const char *name, long long flush_after);

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

#endif

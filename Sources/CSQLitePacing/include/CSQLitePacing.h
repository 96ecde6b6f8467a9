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

/// How many times, in this process, a paced file waited for its writeback.
long long edgesync_sqlite_paced_flushes(void);

#endif

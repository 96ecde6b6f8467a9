#define _GNU_SOURCE
#include "CSQLitePacing.h"

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/// Any file of a connection: the default VFS's file after this header. A main database file can
/// be paced (`EDGESYNC_SQLITE_FCNTL_PACING`): it then has a read-only descriptor of the same file
/// for `sync_file_range` (the default VFS keeps its own descriptor to itself; the page cache, and
/// so the writeback, is the file's, whichever descriptor asks). A WAL can coalesce its writes
/// (`edgesync_sqlite_coalesce_wal`): they gather in `buffer` while each continues the one before.
typedef struct StoreFile {
    sqlite3_file base;
    sqlite3_file *real;
    const char *name;
    int fd;
    sqlite3_int64 unflushed;
    /// The connection's pacing, once it handed it over (`EDGESYNC_SQLITE_FCNTL_PACING`).
    edgesync_sqlite_pacing *pacing;
    int coalescing;
    unsigned char *buffer;
    int buffered;
    sqlite3_int64 buffer_offset;
    long long writes;
} StoreFile;

struct edgesync_sqlite_pacing {
    _Atomic int paused;
    _Atomic long long flushes;
};

static sqlite3_vfs paced_vfs;
static sqlite3_io_methods paced_methods;
static sqlite3_int64 paced_flush_after;

/// The most a WAL gathers before it writes: a group commit of a few hundred small batches.
#define COALESCE_LIMIT (1024 * 1024)
/// The most the default VFS writes in one call: it writes at most 128 KiB - 1 per system call, and
/// a write its call left short by a multiple of 128 KiB ends as SQLITE_FULL.
#define WRITE_LIMIT (124 * 1024)

#define REAL(file) (((StoreFile *)(file))->real)

/// Writes what the WAL gathered. Called before anything that reads, sizes, syncs or closes the
/// file, so that SQLite sees the file as if every write had gone straight to it.
static int coalesced_flush(StoreFile *file) {
    int amount = file->buffered;
    file->buffered = 0;
    for (int done = 0; done < amount;) {
        int piece = amount - done < WRITE_LIMIT ? amount - done : WRITE_LIMIT;
        file->writes++;
        int rc = file->real->pMethods->xWrite(file->real, file->buffer + done, piece, file->buffer_offset + done);
        if (rc != SQLITE_OK) return rc;
        done += piece;
    }
    return SQLITE_OK;
}

static int paced_close(sqlite3_file *file) {
    StoreFile *paced = (StoreFile *)file;
    // Unsynced WAL frames: nothing committed is lost if this fails, as after a crash.
    coalesced_flush(paced);
    free(paced->buffer);
    if (paced->fd >= 0) close(paced->fd);
    int rc = paced->real->pMethods ? paced->real->pMethods->xClose(paced->real) : SQLITE_OK;
    free(paced->real);
    return rc;
}

static int coalesced_write(StoreFile *file, const void *data, int amount, sqlite3_int64 offset) {
    int continues = file->buffered > 0 && offset == file->buffer_offset + file->buffered;
    if (!continues || file->buffered + amount > COALESCE_LIMIT) {
        int rc = coalesced_flush(file);
        if (rc != SQLITE_OK) return rc;
    }
    // Larger than any page: written as SQLite made it.
    if (amount > COALESCE_LIMIT) {
        file->writes++;
        return file->real->pMethods->xWrite(file->real, data, amount, offset);
    }
    if (file->buffered == 0) file->buffer_offset = offset;
    memcpy(file->buffer + file->buffered, data, (size_t)amount);
    file->buffered += amount;
    return SQLITE_OK;
}

static int paced_write(sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset) {
    StoreFile *paced = (StoreFile *)file;
    if (paced->coalescing) return coalesced_write(paced, data, amount, offset);
    paced->writes++;
    int rc = paced->real->pMethods->xWrite(paced->real, data, amount, offset);
    if (rc != SQLITE_OK || !paced->pacing) return rc;
#ifdef __linux__
    paced->unflushed += amount;
    if (paced->fd >= 0 && paced->unflushed >= paced_flush_after) {
        paced->unflushed = 0;
        if (paced->pacing->paused > 0) return SQLITE_OK;
        // Only pacing: durability is still the fsync SQLite asks for at the end, so a failure
        // here changes nothing but the pace.
        int flags = SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;
        if (sync_file_range(paced->fd, 0, 0, flags) == 0) paced->pacing->flushes++;
    }
#endif
    return SQLITE_OK;
}

static int paced_sync(sqlite3_file *file, int flags) {
    StoreFile *paced = (StoreFile *)file;
    int rc = coalesced_flush(paced);
    if (rc != SQLITE_OK) return rc;
    paced->unflushed = 0;
    return paced->real->pMethods->xSync(paced->real, flags);
}

static int paced_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o) {
    int rc = coalesced_flush((StoreFile *)f);
    return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xRead(REAL(f), b, n, o);
}
static int paced_truncate(sqlite3_file *f, sqlite3_int64 s) {
    int rc = coalesced_flush((StoreFile *)f);
    return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xTruncate(REAL(f), s);
}
static int paced_file_size(sqlite3_file *f, sqlite3_int64 *s) {
    int rc = coalesced_flush((StoreFile *)f);
    return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xFileSize(REAL(f), s);
}
static int paced_lock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xLock(REAL(f), l); }
static int paced_unlock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int paced_check_reserved_lock(sqlite3_file *f, int *r) {
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), r);
}
static int paced_file_control(sqlite3_file *f, int op, void *a) {
    StoreFile *paced = (StoreFile *)f;
    switch (op) {
    case EDGESYNC_SQLITE_FCNTL_PACING:
        if (!paced->name) return SQLITE_NOTFOUND;
        if (paced->fd < 0) paced->fd = open(paced->name, O_RDONLY | O_CLOEXEC);
        paced->pacing = a;
        return SQLITE_OK;
    default: {
        int rc = coalesced_flush(paced);
        return rc != SQLITE_OK ? rc : REAL(f)->pMethods->xFileControl(REAL(f), op, a);
    }
    }
}
static int paced_sector_size(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int paced_device_characteristics(sqlite3_file *f) {
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int paced_shm_map(sqlite3_file *f, int p, int s, int w, void volatile **m) {
    return REAL(f)->pMethods->xShmMap(REAL(f), p, s, w, m);
}
static int paced_shm_lock(sqlite3_file *f, int o, int n, int fl) {
    return REAL(f)->pMethods->xShmLock(REAL(f), o, n, fl);
}
static void paced_shm_barrier(sqlite3_file *f) { REAL(f)->pMethods->xShmBarrier(REAL(f)); }
static int paced_shm_unmap(sqlite3_file *f, int d) {
    return REAL(f)->pMethods->xShmUnmap(REAL(f), d);
}
static int paced_fetch(sqlite3_file *f, sqlite3_int64 o, int n, void **p) {
    return REAL(f)->pMethods->xFetch(REAL(f), o, n, p);
}
static int paced_unfetch(sqlite3_file *f, sqlite3_int64 o, void *p) {
    return REAL(f)->pMethods->xUnfetch(REAL(f), o, p);
}

static int paced_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags) {
    sqlite3_vfs *real_vfs = (sqlite3_vfs *)vfs->pAppData;
    StoreFile *paced = (StoreFile *)file;
    memset(paced, 0, sizeof(StoreFile));
    paced->fd = -1;
    paced->real = calloc(1, (size_t)real_vfs->szOsFile);
    if (!paced->real) return SQLITE_NOMEM;
    int rc = real_vfs->xOpen(real_vfs, name, paced->real, flags, out_flags);
    if (rc != SQLITE_OK) {
        // SQLite calls xClose only on a file whose pMethods is set.
        if (paced->real->pMethods) paced->real->pMethods->xClose(paced->real);
        free(paced->real);
        return rc;
    }
    // SQLite keeps a main database's name until it closes the file.
    if (flags & SQLITE_OPEN_MAIN_DB) paced->name = name;
    // The default VFS's methods have no xShm… below version 2 and no xFetch below 3: so neither has this.
    paced_methods.iVersion = paced->real->pMethods->iVersion;
    paced->base.pMethods = &paced_methods;
    return SQLITE_OK;
}

static int paced_delete(sqlite3_vfs *v, const char *n, int s) {
    sqlite3_vfs *r = v->pAppData;
    return r->xDelete(r, n, s);
}
static int paced_access(sqlite3_vfs *v, const char *n, int f, int *o) {
    sqlite3_vfs *r = v->pAppData;
    return r->xAccess(r, n, f, o);
}
static int paced_full_pathname(sqlite3_vfs *v, const char *n, int s, char *o) {
    sqlite3_vfs *r = v->pAppData;
    return r->xFullPathname(r, n, s, o);
}
static void *paced_dl_open(sqlite3_vfs *v, const char *n) {
    sqlite3_vfs *r = v->pAppData;
    return r->xDlOpen(r, n);
}
static void paced_dl_error(sqlite3_vfs *v, int n, char *m) {
    sqlite3_vfs *r = v->pAppData;
    r->xDlError(r, n, m);
}
static void (*paced_dl_sym(sqlite3_vfs *v, void *h, const char *s))(void) {
    sqlite3_vfs *r = v->pAppData;
    return r->xDlSym(r, h, s);
}
static void paced_dl_close(sqlite3_vfs *v, void *h) {
    sqlite3_vfs *r = v->pAppData;
    r->xDlClose(r, h);
}
static int paced_randomness(sqlite3_vfs *v, int n, char *o) {
    sqlite3_vfs *r = v->pAppData;
    return r->xRandomness(r, n, o);
}
static int paced_sleep(sqlite3_vfs *v, int us) {
    sqlite3_vfs *r = v->pAppData;
    return r->xSleep(r, us);
}
static int paced_current_time(sqlite3_vfs *v, double *t) {
    sqlite3_vfs *r = v->pAppData;
    return r->xCurrentTime(r, t);
}
static int paced_get_last_error(sqlite3_vfs *v, int n, char *m) {
    sqlite3_vfs *r = v->pAppData;
    return r->xGetLastError ? r->xGetLastError(r, n, m) : 0;
}
static int paced_current_time_int64(sqlite3_vfs *v, sqlite3_int64 *t) {
    sqlite3_vfs *r = v->pAppData;
    return r->xCurrentTimeInt64(r, t);
}

static pthread_mutex_t paced_registration = PTHREAD_MUTEX_INITIALIZER;

int edgesync_sqlite_register_vfs(const char *name, long long flush_after) {
    pthread_mutex_lock(&paced_registration);
    int rc = SQLITE_OK;
    if (!sqlite3_vfs_find(name)) {
        sqlite3_vfs *real = sqlite3_vfs_find(NULL);
        if (!real || real->iVersion < 2) {
            rc = SQLITE_ERROR;
        } else {
            paced_flush_after = flush_after;
            paced_methods = (sqlite3_io_methods){
                .xClose = paced_close,
                .xRead = paced_read,
                .xWrite = paced_write,
                .xTruncate = paced_truncate,
                .xSync = paced_sync,
                .xFileSize = paced_file_size,
                .xLock = paced_lock,
                .xUnlock = paced_unlock,
                .xCheckReservedLock = paced_check_reserved_lock,
                .xFileControl = paced_file_control,
                .xSectorSize = paced_sector_size,
                .xDeviceCharacteristics = paced_device_characteristics,
                .xShmMap = paced_shm_map,
                .xShmLock = paced_shm_lock,
                .xShmBarrier = paced_shm_barrier,
                .xShmUnmap = paced_shm_unmap,
                .xFetch = paced_fetch,
                .xUnfetch = paced_unfetch,
            };
            paced_vfs = (sqlite3_vfs){
                .iVersion = 2,
                .szOsFile = (int)sizeof(StoreFile),
                .mxPathname = real->mxPathname,
                .zName = strdup(name),
                .pAppData = real,
                .xOpen = paced_open,
                .xDelete = paced_delete,
                .xAccess = paced_access,
                .xFullPathname = paced_full_pathname,
                .xDlOpen = paced_dl_open,
                .xDlError = paced_dl_error,
                .xDlSym = paced_dl_sym,
                .xDlClose = paced_dl_close,
                .xRandomness = paced_randomness,
                .xSleep = paced_sleep,
                .xCurrentTime = paced_current_time,
                .xGetLastError = paced_get_last_error,
                .xCurrentTimeInt64 = paced_current_time_int64,
            };
            rc = sqlite3_vfs_register(&paced_vfs, 1);
        }
    }
    pthread_mutex_unlock(&paced_registration);
    return rc;
}

edgesync_sqlite_pacing *edgesync_sqlite_pacing_create(void) { return calloc(1, sizeof(edgesync_sqlite_pacing)); }

void edgesync_sqlite_pacing_free(edgesync_sqlite_pacing *pacing) { free(pacing); }

void edgesync_sqlite_pacing_pause(edgesync_sqlite_pacing *pacing, int pause) { pacing->paused += pause ? 1 : -1; }

long long edgesync_sqlite_pacing_flushes(const edgesync_sqlite_pacing *pacing) { return pacing->flushes; }

/// The connection's WAL, if it is open and this VFS's.
static StoreFile *wal_of(sqlite3 *db) {
    sqlite3_file *wal = NULL;
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) != SQLITE_OK) return NULL;
    return wal && wal->pMethods == &paced_methods ? (StoreFile *)wal : NULL;
}

int edgesync_sqlite_coalesce_wal(sqlite3 *db) {
    StoreFile *wal = wal_of(db);
    if (!wal) return SQLITE_NOTFOUND;
    if (!wal->buffer && !(wal->buffer = malloc(COALESCE_LIMIT))) return SQLITE_NOMEM;
    wal->coalescing = 1;
    return SQLITE_OK;
}

long long edgesync_sqlite_wal_writes(sqlite3 *db) {
    StoreFile *wal = wal_of(db);
    return wal ? wal->writes : -1;
}

// A VFS over the platform's that gathers a transaction's writes to a write-ahead log into one write.
//
// SQLite writes every log frame as two calls, its 24-byte header and its page, so a commit of 14 pages was
// 28 pwrites. Frames are 24 + 4096 bytes, so nearly every call also covered part of a page-cache page; once
// the kernel had dropped that page (this machine's DAMON pages cold memory out), the call first read it back
// from disk, with the writer waiting. Here a log file keeps contiguous writes in a buffer and writes them at
// once when the commit frame's page comes (a frame header whose "database size after commit" is non-zero),
// padded with zeros to the next page boundary so that the following commit starts in a page the kernel
// holds whole. What lies past the last valid frame is never read as a frame: SQLite stops at the first frame
// whose salt or checksum does not match, and zeros match neither.
//
// Anything that must see the file as written (a read, size, sync, truncate, close, a write elsewhere) writes
// the buffer first. Commit frames reach the operating system before the commit returns, so the log syncer's
// fdatasync (its own descriptor) covers them as before. Files other than logs pass straight through.
#include <sqlite3.h>
#include <stdatomic.h>
#include <string.h>

#include "CSQLiteLogBuffer.h"

enum { FRAME_HEADER = 24, PAGE_BYTES = 4096, PIECE_BYTES = 64 * 1024, MOST_BUFFERED = 8 << 20 };

typedef struct {
    sqlite3_file base;
    sqlite3_file *real;        // the platform's file, stored right after this struct
    int isLog;
    unsigned char *buffer;
    sqlite3_int64 bufferStart; // file offset of buffer[0]
    int buffered;
    int capacity;
    int commitFrameNext;       // the last write was a commit frame's header: its page ends the transaction
    sqlite3_int64 logEnd;      // one past the highest byte SQLite wrote since the log's header (padding aside)
    long long calls, writes;   // xWrite calls taken, and writes handed to the platform's file
} LogFile;

static sqlite3_vfs *platform;
static sqlite3_vfs logBufferVFS;
static const sqlite3_io_methods methods;

// One write handed to the platform's file, counted.
static int writeThrough(LogFile *f, const void *data, int amount, sqlite3_int64 offset) {
    f->writes += 1;
    return f->real->pMethods->xWrite(f->real, data, amount, offset);
}

// The platform's xWrite takes at most 128 KiB - 1 bytes a call (more is a short write, SQLITE_FULL): the
// buffer goes out in pieces that end on 64 KiB boundaries of the file, so only the first starts mid-page.
static int drain(LogFile *f) {
    int done = 0;
    while (done < f->buffered) {
        sqlite3_int64 at = f->bufferStart + done;
        sqlite3_int64 boundary = (at / PIECE_BYTES + 1) * PIECE_BYTES;
        int count = (int)(boundary - at < f->buffered - done ? boundary - at : f->buffered - done);
        int rc = writeThrough(f, f->buffer + done, count, at);
        if (rc != SQLITE_OK) { f->buffered = 0; return rc; }
        done += count;
    }
    f->buffered = 0;
    return SQLITE_OK;
}

static int reserve(LogFile *f, int needed) {
    if (needed <= f->capacity) return SQLITE_OK;
    int capacity = f->capacity ? f->capacity : 256 * 1024;
    while (capacity < needed) capacity *= 2;
    if (capacity > MOST_BUFFERED + PIECE_BYTES + PAGE_BYTES) capacity = MOST_BUFFERED + PIECE_BYTES + PAGE_BYTES;
    unsigned char *grown = sqlite3_realloc64(f->buffer, (sqlite3_uint64)capacity);
    if (!grown) return SQLITE_NOMEM;
    f->buffer = grown;
    f->capacity = capacity;
    return SQLITE_OK;
}

static int isCommitFrameHeader(const void *data, int amount) {
    const unsigned char *bytes = data;
    return amount == FRAME_HEADER && (bytes[4] | bytes[5] | bytes[6] | bytes[7]) != 0;
}

static int logWrite(LogFile *f, const void *data, int amount, sqlite3_int64 offset) {
    f->calls += 1;
    int rc;
    if (offset == 0) f->logEnd = 0;  // the log restarts with a new header
    int endsCommit = f->commitFrameNext;
    int commitHeader = isCommitFrameHeader(data, amount);
    // A commit frame header below the log's end is SQLite rewriting checksums after the commit frame was
    // written (walRewriteChecksums): nothing follows it, so it goes out now.
    if (commitHeader && offset + amount <= f->logEnd) {
        f->commitFrameNext = 0;
        if ((rc = drain(f)) != SQLITE_OK) return rc;
        return writeThrough(f, data, amount, offset);
    }
    f->commitFrameNext = commitHeader;
    if (f->buffered > 0 && (offset != f->bufferStart + f->buffered || f->buffered + amount > MOST_BUFFERED)) {
        if ((rc = drain(f)) != SQLITE_OK) return rc;
    }
    if (offset + amount > f->logEnd) f->logEnd = offset + amount;
    if (amount > PIECE_BYTES) return writeThrough(f, data, amount, offset);  // SQLite writes pages and headers; never this
    if (f->buffered == 0) f->bufferStart = offset;
    if ((rc = reserve(f, f->buffered + amount + PAGE_BYTES)) != SQLITE_OK) return rc;
    memcpy(f->buffer + f->buffered, data, (size_t)amount);
    f->buffered += amount;
    if (!endsCommit) return SQLITE_OK;
    // The commit frame's page: the transaction is complete. Pad only at the log's end (past it lies nothing
    // valid), never after a write SQLite made elsewhere.
    int past = (int)((f->bufferStart + f->buffered) % PAGE_BYTES);
    if (past && f->bufferStart + f->buffered == f->logEnd) {
        memset(f->buffer + f->buffered, 0, (size_t)(PAGE_BYTES - past));
        f->buffered += PAGE_BYTES - past;
    }
    return drain(f);
}

// MARK: - io methods: logs buffer writes, everything forwards to the platform's file

#define REAL(file) (((LogFile *)(file))->real)

static int xClose(sqlite3_file *file) {
    LogFile *f = (LogFile *)file;
    int drained = drain(f);
    int rc = f->real->pMethods ? f->real->pMethods->xClose(f->real) : SQLITE_OK;
    sqlite3_free(f->buffer);
    f->buffer = NULL; f->capacity = 0;
    return drained != SQLITE_OK ? drained : rc;
}
static int xRead(sqlite3_file *file, void *data, int amount, sqlite3_int64 offset) {
    int rc = drain((LogFile *)file);
    return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xRead(REAL(file), data, amount, offset);
}
static int xWrite(sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset) {
    LogFile *f = (LogFile *)file;
    if (f->isLog) return logWrite(f, data, amount, offset);
    return f->real->pMethods->xWrite(f->real, data, amount, offset);
}
static int xTruncate(sqlite3_file *file, sqlite3_int64 size) {
    int rc = drain((LogFile *)file);
    return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xTruncate(REAL(file), size);
}
static int xSync(sqlite3_file *file, int flags) {
    int rc = drain((LogFile *)file);
    return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xSync(REAL(file), flags);
}
static int xFileSize(sqlite3_file *file, sqlite3_int64 *size) {
    int rc = drain((LogFile *)file);
    return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xFileSize(REAL(file), size);
}
static int xLock(sqlite3_file *file, int lock) { return REAL(file)->pMethods->xLock(REAL(file), lock); }
static int xUnlock(sqlite3_file *file, int lock) { return REAL(file)->pMethods->xUnlock(REAL(file), lock); }
static int xCheckReservedLock(sqlite3_file *file, int *out) {
    return REAL(file)->pMethods->xCheckReservedLock(REAL(file), out);
}
static int xFileControl(sqlite3_file *file, int op, void *arg) {
    int rc = drain((LogFile *)file);
    return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xFileControl(REAL(file), op, arg);
}
static int xSectorSize(sqlite3_file *file) { return REAL(file)->pMethods->xSectorSize(REAL(file)); }
static int xDeviceCharacteristics(sqlite3_file *file) {
    return REAL(file)->pMethods->xDeviceCharacteristics(REAL(file));
}
static int xShmMap(sqlite3_file *file, int region, int size, int extend, void volatile **out) {
    return REAL(file)->pMethods->xShmMap(REAL(file), region, size, extend, out);
}
static int xShmLock(sqlite3_file *file, int offset, int n, int flags) {
    return REAL(file)->pMethods->xShmLock(REAL(file), offset, n, flags);
}
static void xShmBarrier(sqlite3_file *file) { REAL(file)->pMethods->xShmBarrier(REAL(file)); }
static int xShmUnmap(sqlite3_file *file, int deleteFlag) {
    return REAL(file)->pMethods->xShmUnmap(REAL(file), deleteFlag);
}
static int xFetch(sqlite3_file *file, sqlite3_int64 offset, int amount, void **out) {
    int rc = drain((LogFile *)file);
    return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xFetch(REAL(file), offset, amount, out);
}
static int xUnfetch(sqlite3_file *file, sqlite3_int64 offset, void *page) {
    return REAL(file)->pMethods->xUnfetch(REAL(file), offset, page);
}

static const sqlite3_io_methods methods = {
    3, xClose, xRead, xWrite, xTruncate, xSync, xFileSize, xLock, xUnlock, xCheckReservedLock, xFileControl,
    xSectorSize, xDeviceCharacteristics, xShmMap, xShmLock, xShmBarrier, xShmUnmap, xFetch, xUnfetch,
};

// MARK: - VFS: opens wrap the platform's file; the rest is the platform's

static int xOpen(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags, int *outFlags) {
    (void)vfs;
    LogFile *f = (LogFile *)file;
    memset(f, 0, sizeof *f);
    f->real = (sqlite3_file *)(f + 1);
    f->isLog = (flags & SQLITE_OPEN_WAL) != 0;
    int rc = platform->xOpen(platform, name, f->real, flags, outFlags);
    // SQLite calls xClose only on files whose pMethods is set, and the platform's stays unset on failure.
    f->base.pMethods = f->real->pMethods ? &methods : NULL;
    return rc;
}
static int xDelete(sqlite3_vfs *v, const char *name, int syncDir) { (void)v; return platform->xDelete(platform, name, syncDir); }
static int xAccess(sqlite3_vfs *v, const char *name, int flags, int *out) { (void)v; return platform->xAccess(platform, name, flags, out); }
static int xFullPathname(sqlite3_vfs *v, const char *name, int n, char *out) { (void)v; return platform->xFullPathname(platform, name, n, out); }
static void *xDlOpen(sqlite3_vfs *v, const char *name) { (void)v; return platform->xDlOpen(platform, name); }
static void xDlError(sqlite3_vfs *v, int n, char *out) { (void)v; platform->xDlError(platform, n, out); }
static void (*xDlSym(sqlite3_vfs *v, void *handle, const char *symbol))(void) { (void)v; return platform->xDlSym(platform, handle, symbol); }
static void xDlClose(sqlite3_vfs *v, void *handle) { (void)v; platform->xDlClose(platform, handle); }
static int xRandomness(sqlite3_vfs *v, int n, char *out) { (void)v; return platform->xRandomness(platform, n, out); }
static int xSleep(sqlite3_vfs *v, int micros) { (void)v; return platform->xSleep(platform, micros); }
static int xCurrentTime(sqlite3_vfs *v, double *out) { (void)v; return platform->xCurrentTime(platform, out); }
static int xGetLastError(sqlite3_vfs *v, int n, char *out) { (void)v; return platform->xGetLastError(platform, n, out); }
static int xCurrentTimeInt64(sqlite3_vfs *v, sqlite3_int64 *out) { (void)v; return platform->xCurrentTimeInt64(platform, out); }
static int xSetSystemCall(sqlite3_vfs *v, const char *name, sqlite3_syscall_ptr call) { (void)v; return platform->xSetSystemCall(platform, name, call); }
static sqlite3_syscall_ptr xGetSystemCall(sqlite3_vfs *v, const char *name) { (void)v; return platform->xGetSystemCall(platform, name); }
static const char *xNextSystemCall(sqlite3_vfs *v, const char *name) { (void)v; return platform->xNextSystemCall(platform, name); }

int strata_log_buffer_register(void) {
    static atomic_int state; // 0: not yet, 1: registering, 2: done
    static int outcome;
    int expected = 0;
    if (!atomic_compare_exchange_strong(&state, &expected, 1)) {
        while (atomic_load(&state) == 1) {}
        return outcome;
    }
    int rc = sqlite3_initialize();
    platform = sqlite3_vfs_find(NULL);
    if (rc == SQLITE_OK && (!platform || platform->iVersion < 3)) rc = SQLITE_ERROR;
    if (rc == SQLITE_OK) {
        logBufferVFS = (sqlite3_vfs){
            3, (int)sizeof(LogFile) + platform->szOsFile, platform->mxPathname, NULL, "strata-log-buffer", NULL,
            xOpen, xDelete, xAccess, xFullPathname, xDlOpen, xDlError, xDlSym, xDlClose, xRandomness, xSleep,
            xCurrentTime, xGetLastError, xCurrentTimeInt64, xSetSystemCall, xGetSystemCall, xNextSystemCall,
        };
        rc = sqlite3_vfs_register(&logBufferVFS, 1);
    }
    outcome = rc;
    atomic_store(&state, 2);
    return rc;
}

int strata_log_buffer_counts(sqlite3 *db, long long *calls, long long *writes) {
    sqlite3_file *log = NULL;
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &log) != SQLITE_OK || !log
        || log->pMethods != &methods || !((LogFile *)log)->isLog) return SQLITE_NOTFOUND;
    *calls = ((LogFile *)log)->calls;
    *writes = ((LogFile *)log)->writes;
    return SQLITE_OK;
}

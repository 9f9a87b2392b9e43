#ifndef C_SQLITE_LOG_BUFFER_H
#define C_SQLITE_LOG_BUFFER_H

#include <sqlite3.h>

/// Registers, as SQLite's default, a VFS that wraps the platform's and gathers each transaction's writes to a
/// write-ahead log into one write (see log_buffer.c). Idempotent; SQLITE_OK or an SQLite error code.
int strata_log_buffer_register(void);

/// For the connection's open write-ahead log: the write calls SQLite made and the writes they became
/// (SQLITE_NOTFOUND when the log is not open or not this VFS's). For tests and diagnostics.
int strata_log_buffer_counts(sqlite3 *db, long long *calls, long long *writes);

#endif
